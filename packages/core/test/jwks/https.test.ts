import { createRequire } from 'node:module'
import { connect } from 'node:tls'
import type * as Tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JwksUnavailableError } from '../../src/errors/webhook-error.js'
import { createRemoteKeySet } from '../../src/jwks/create-remote-key-set.js'
import type { KeySetEvent } from '../../src/jwks/types.js'
import type { JwksFetchError } from '../../src/jwks/jwks-fetch-error.js'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { createTestCa } from '@hookseal/test-support/test-ca'
import type { TestCa, TestCertificate } from '@hookseal/test-support/test-ca'
import { generateTestKey, jwksOf } from '@hookseal/test-support/test-keys'
import { rejectionOf } from '@hookseal/test-support/rejection'

// The process-wide TLS defaults live on the CommonJS module object; ESM bindings are read-only.
const tls = createRequire(import.meta.url)('node:tls') as typeof Tls

// OpenSSL 3 signs TLS 1.1 handshakes only below security level 1, so the legacy server (and the
// control client that proves it really speaks TLS 1.1) opt down to level 0.
const LEGACY_CIPHERS = 'DEFAULT@SECLEVEL=0'

let ca: TestCa
let certificate: TestCertificate
let server: JwksServer
let legacyServer: JwksServer

beforeAll(async () => {
  const jwks = jwksOf(generateTestKey('ES256', 'key-1'))
  ca = await createTestCa()
  certificate = await ca.issueServerCertificate({ ipAddresses: ['127.0.0.1'] })
  server = await startJwksServer(jwks, { tls: certificate })
  legacyServer = await startJwksServer(jwks, {
    tls: {
      ...certificate,
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: LEGACY_CIPHERS,
    },
  })
})

afterAll(async () => {
  await server.close()
  await legacyServer.close()
})

function fetchFailures(events: KeySetEvent[]): JwksFetchError[] {
  return events.flatMap((event) => (event.type === 'jwks-fetch-failed' ? [event.error] : []))
}

/** A TLS refusal is a network failure of the fetch, with Node's own error as its cause. */
function tlsCodes(events: KeySetEvent[]): Array<string | undefined> {
  return fetchFailures(events).map((error) => {
    expect(error.code).toBe('ERR_JWKS_NETWORK')
    return (error.cause as NodeJS.ErrnoException).code
  })
}

async function unavailable(promise: Promise<unknown>): Promise<JwksUnavailableError> {
  const error = await rejectionOf(promise, JwksUnavailableError)
  expect(error.status).toBe(503)
  return error
}

/** The protocol a permissive client negotiates, proving what the server itself is able to speak. */
function negotiatedProtocol(url: string): Promise<string | null> {
  const { port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port: Number(port),
        ca: ca.caPem,
        minVersion: 'TLSv1',
        ciphers: LEGACY_CIPHERS,
      },
      () => {
        resolve(socket.getProtocol())
        socket.destroy()
      },
    )
    socket.on('error', reject)
  })
}

describe('over HTTPS', () => {
  it('fetches from a server whose certificate chains to the configured ca', async () => {
    const keySet = createRemoteKeySet({ jwksUri: server.url, ca: ca.caPem })
    expect(server.url.startsWith('https://127.0.0.1:')).toBe(true)
    await expect(keySet.getKey('key-1')).resolves.toMatchObject({ kid: 'key-1', kty: 'EC' })
    expect(server.requestCount).toBe(1)
  })

  it('refuses a certificate from a CA it was not given', async () => {
    const events: KeySetEvent[] = []
    const before = server.requestCount
    const keySet = createRemoteKeySet({ jwksUri: server.url, onEvent: (e) => events.push(e) })
    await unavailable(keySet.getKey('key-1'))
    expect(tlsCodes(events)).toEqual(['UNABLE_TO_VERIFY_LEAF_SIGNATURE'])
    expect(server.requestCount).toBe(before)
  })

  it('refuses a certificate whose names do not cover the host', async () => {
    const otherHost = await ca.issueServerCertificate({ ipAddresses: ['127.0.0.2'], dnsNames: [] })
    const mismatched = await startJwksServer(jwksOf(generateTestKey('ES256', 'key-1')), {
      tls: otherHost,
    })
    try {
      const events: KeySetEvent[] = []
      const keySet = createRemoteKeySet({
        jwksUri: mismatched.url,
        ca: ca.caPem,
        onEvent: (e) => events.push(e),
      })
      await unavailable(keySet.getKey('key-1'))
      expect(tlsCodes(events)).toEqual(['ERR_TLS_CERT_ALTNAME_INVALID'])
      expect(mismatched.requestCount).toBe(0)
    } finally {
      await mismatched.close()
    }
  })

  it('refuses a server that speaks nothing newer than TLS 1.1, even if the process allows it', async () => {
    expect(await negotiatedProtocol(legacyServer.url)).toBe('TLSv1.1')
    // As `node --tls-min-v1.0` would: only the key set's own minVersion still stands in the way.
    const defaults = { minVersion: tls.DEFAULT_MIN_VERSION, ciphers: tls.DEFAULT_CIPHERS }
    tls.DEFAULT_MIN_VERSION = 'TLSv1'
    tls.DEFAULT_CIPHERS = LEGACY_CIPHERS
    try {
      const events: KeySetEvent[] = []
      const keySet = createRemoteKeySet({
        jwksUri: legacyServer.url,
        ca: ca.caPem,
        onEvent: (e) => events.push(e),
      })
      await unavailable(keySet.getKey('key-1'))
      const failures = fetchFailures(events)
      expect(failures).toHaveLength(1)
      expect(failures[0]?.message).toContain('alert protocol version')
      expect(legacyServer.requestCount).toBe(0)
    } finally {
      tls.DEFAULT_MIN_VERSION = defaults.minVersion
      tls.DEFAULT_CIPHERS = defaults.ciphers
    }
  })
})
