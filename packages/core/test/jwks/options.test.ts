import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRemoteKeySet } from '../../src/jwks/create-remote-key-set.js'
import type { RemoteKeySetOptions } from '../../src/jwks/types.js'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'

const HTTPS_URI = 'https://sender.example/.well-known/jwks.json'

let server: JwksServer

beforeAll(async () => {
  server = await startJwksServer()
})

afterAll(() => server.close())

describe('createRemoteKeySet options', () => {
  it.each([
    ['a relative URL', { jwksUri: '/jwks.json' }],
    ['not a URL at all', { jwksUri: 'sender.example jwks' }],
    ['a file: URL', { jwksUri: 'file:///etc/jwks.json' }],
    ['an ftp: URL', { jwksUri: 'ftp://sender.example/jwks.json' }],
    ['credentials in the URL', { jwksUri: 'https://user:secret@sender.example/jwks.json' }],
    ['http: without allowInsecureHttp', { jwksUri: 'http://127.0.0.1:8080/jwks.json' }],
    [
      'http: on a public host even with allowInsecureHttp',
      { jwksUri: 'http://sender.example/jwks.json', allowInsecureHttp: true },
    ],
    [
      'http: on a private-network host even with allowInsecureHttp',
      { jwksUri: 'http://10.0.0.5/jwks.json', allowInsecureHttp: true },
    ],
    [
      'http: on a host that merely starts with 127',
      { jwksUri: 'http://127.0.0.1.sender.example/jwks.json', allowInsecureHttp: true },
    ],
    ['a zero timeout', { jwksUri: HTTPS_URI, timeout: 0 }],
    ['a negative timeout', { jwksUri: HTTPS_URI, timeout: -1 }],
    ['an infinite timeout', { jwksUri: HTTPS_URI, timeout: Infinity }],
    ['a timeout setTimeout cannot hold', { jwksUri: HTTPS_URI, timeout: 2 ** 31 }],
    ['a NaN size cap', { jwksUri: HTTPS_URI, maxResponseBytes: NaN }],
    ['a fractional size cap', { jwksUri: HTTPS_URI, maxResponseBytes: 1.5 }],
    ['zero keys allowed', { jwksUri: HTTPS_URI, maxKeys: 0 }],
    ['a string number', { jwksUri: HTTPS_URI, cooldown: '30000' as unknown as number }],
    ['a negative cache lifetime', { jwksUri: HTTPS_URI, cacheMaxAge: -1 }],
    ['a zero backoff', { jwksUri: HTTPS_URI, backoff: 0 }],
    ['a negative stale window', { jwksUri: HTTPS_URI, staleWindow: -1 }],
    ['bounds in the wrong order', { jwksUri: HTTPS_URI, minCacheMaxAge: 10, maxCacheMaxAge: 5 }],
    ['a backoff above its maximum', { jwksUri: HTTPS_URI, backoff: 10, maxBackoff: 5 }],
    ['a ca that is not PEM or a Buffer', { jwksUri: HTTPS_URI, ca: [42] as unknown as string[] }],
    ['an onEvent that is not a function', { jwksUri: HTTPS_URI, onEvent: 'log' as never }],
  ] satisfies Array<[string, RemoteKeySetOptions]>)(
    'throws a TypeError for %s',
    (_name, options) => {
      expect(() => createRemoteKeySet(options)).toThrow(TypeError)
    },
  )

  it('throws a TypeError without an options object', () => {
    expect(() => createRemoteKeySet(undefined as unknown as RemoteKeySetOptions)).toThrow(TypeError)
  })

  it.each([
    'http://127.0.0.1:8080/jwks.json',
    'http://127.10.20.30/jwks.json',
    'http://localhost:8080/jwks.json',
    'http://[::1]:8080/jwks.json',
  ])('accepts loopback http: %s with allowInsecureHttp', (jwksUri) => {
    expect(createRemoteKeySet({ jwksUri, allowInsecureHttp: true }).jwksUri).toBe(jwksUri)
  })

  it('accepts https: and a URL object, and a stale window of zero', () => {
    const url = new URL(HTTPS_URI)
    const keySet = createRemoteKeySet({ jwksUri: url, staleWindow: 0 })
    url.hostname = 'attacker.example'
    expect(keySet.jwksUri).toBe(HTTPS_URI)
  })

  it('fetches nothing until a key is asked for', async () => {
    createRemoteKeySet({ jwksUri: server.url, allowInsecureHttp: true })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(server.requestCount).toBe(0)
  })
})
