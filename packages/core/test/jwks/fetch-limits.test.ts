import type { ServerResponse } from 'node:http'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { JwksUnavailableError } from '../../src/errors/webhook-error.js'
import { HooksealError } from '../../src/errors/hookseal-error.js'
import { createRemoteKeySet } from '../../src/jwks/create-remote-key-set.js'
import { JwksFetchError } from '../../src/jwks/jwks-fetch-error.js'
import type { KeySetEvent, RemoteKeySetOptions } from '../../src/jwks/types.js'
import { restartJwksServer, startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { streamResponse } from '@hookseal/test-support/endless-response'
import type { StreamedResponse } from '@hookseal/test-support/endless-response'
import { settlesAfter, settlesAtOnce, useFakeClock } from '@hookseal/test-support/fake-clock'
import { generateTestKey, jwksOf } from '@hookseal/test-support/test-keys'
import type { TestKey } from '@hookseal/test-support/test-keys'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { rejectionOf } from '@hookseal/test-support/rejection'

const MiB = 1024 * 1024

let key: TestKey
let server: JwksServer
let events: KeySetEvent[]

beforeAll(async () => {
  key = generateTestKey('RS256', 'key-1')
  server = await startJwksServer(jwksOf(key))
})

afterAll(() => server.close())

beforeEach(() => {
  events = []
})

afterEach(async () => {
  vi.useRealTimers()
  server = await restartJwksServer(server, jwksOf(key))
})

function keySetFor(options: Partial<RemoteKeySetOptions> = {}) {
  return createRemoteKeySet({
    jwksUri: server.url,
    allowInsecureHttp: true,
    onEvent: (event) => events.push(event),
    ...options,
  })
}

async function unavailable(promise: Promise<unknown>): Promise<JwksUnavailableError> {
  const refusal = await rejectionOf(promise, JwksUnavailableError)
  expect({ code: refusal.code, status: refusal.status }).toEqual({
    code: 'ERR_JWKS_UNAVAILABLE',
    status: 503,
  })
  expect(refusal.message).not.toContain('127.0.0.1')
  return refusal
}

/** Every failed fetch is a typed error with a stable code, whatever went wrong. */
function failureCodes(): string[] {
  return events.flatMap((event) => {
    if (event.type !== 'jwks-fetch-failed') return []
    expect(event.error).toBeInstanceOf(JwksFetchError)
    expect(event.error).toBeInstanceOf(HooksealError)
    return [event.error.code]
  })
}

function failureMessages(): string[] {
  return events.flatMap((event) =>
    event.type === 'jwks-fetch-failed' ? [event.error.message] : [],
  )
}

describe('the request', () => {
  it('asks for a JWK Set with an Accept header and imports the keys it gets', async () => {
    const entry = await keySetFor().getKey('key-1')
    expect(entry).toMatchObject({ kid: 'key-1', kty: 'RSA' })
    expect(server.lastHeaders?.accept).toBe('application/jwk-set+json, application/json')
    expect(events).toMatchObject([{ type: 'jwks-fetch', jwksUri: server.url, keyCount: 1 }])
  })
})

describe('the timeout', () => {
  it('cuts off an endpoint that accepts the connection and never answers', async () => {
    useFakeClock()
    server.setBehaviour('hang')
    const fetching = unavailable(keySetFor({ timeout: 200 }).getKey('key-1'))
    await waitUntil(() => server.requestCount === 1, 'the JWKS request')
    await settlesAfter(fetching, 200, 'the JWKS fetch')
    expect(server.requestCount).toBe(1)
    expect(failureMessages()).toEqual(['the JWKS endpoint sent no complete response within 200 ms'])
    expect(failureCodes()).toEqual(['ERR_JWKS_TIMEOUT'])
  })

  it('covers the body too, not just the time to the first byte', async () => {
    useFakeClock()
    let started = false
    server.setHandler((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"keys":[', () => {
        started = true
      })
    })
    const fetching = unavailable(keySetFor({ timeout: 200 }).getKey('key-1'))
    await waitUntil(() => started, 'the start of the body')
    await settlesAfter(fetching, 200, 'the JWKS fetch')
    expect(failureMessages()).toEqual(['the JWKS endpoint sent no complete response within 200 ms'])
    expect(failureCodes()).toEqual(['ERR_JWKS_TIMEOUT'])
  })
})

describe('the response size cap', () => {
  it('aborts a 10 MiB response while reading it, long before the server is done', async () => {
    let stream: StreamedResponse | undefined
    server.setHandler((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      // A valid JWKS padded with whitespace: without the cap it would parse and succeed.
      const head = Buffer.from(JSON.stringify(jwksOf(key)))
      stream = streamResponse(res, { head, chunk: Buffer.alloc(64 * 1024, ' '), total: 10 * MiB })
    })
    await unavailable(keySetFor().getKey('key-1'))
    await waitUntil(() => stream?.closedEarly === true, 'the server to see the key set hang up')
    expect(stream?.finished).toBe(false)
    expect(stream?.written).toBeLessThan(4 * MiB)
    expect(failureMessages()).toEqual([`the JWKS response exceeds ${MiB} bytes`])
    expect(failureCodes()).toEqual(['ERR_JWKS_TOO_LARGE'])
  })

  it('refuses a declared Content-Length over the cap without waiting for the body', async () => {
    server.setHandler((_req, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 10 * MiB })
      res.write(' '.repeat(1024))
    })
    // The clock stands still: a key set that waited for the body would wait for ever.
    useFakeClock()
    await settlesAtOnce(unavailable(keySetFor({ timeout: 3000 }).getKey('key-1')), 'the refusal')
    expect(failureMessages()).toEqual([
      `the JWKS response declares ${10 * MiB} bytes, over the limit`,
    ])
  })

  it('honours a smaller configured cap', async () => {
    const size = JSON.stringify(jwksOf(key)).length
    await unavailable(keySetFor({ maxResponseBytes: size - 1 }).getKey('key-1'))
    events = []
    await expect(keySetFor({ maxResponseBytes: size }).getKey('key-1')).resolves.toMatchObject({
      kid: 'key-1',
    })
  })
})

describe('redirects', () => {
  it.each([301, 302, 303, 307, 308])(
    'refuses a %d to a valid JWKS and never requests the target',
    async (status) => {
      const target = await startJwksServer(jwksOf(key))
      try {
        server.setHandler((_req, res) => {
          res.writeHead(status, { location: target.url })
          res.end()
        })
        await unavailable(keySetFor().getKey('key-1'))
        expect(server.requestCount).toBe(1)
        expect(target.requestCount).toBe(0)
        expect(failureMessages()).toEqual([
          `the JWKS endpoint answered ${status}; redirects are not followed`,
        ])
        expect(failureCodes()).toEqual(['ERR_JWKS_STATUS'])
      } finally {
        await target.close()
      }
    },
  )
})

describe('responses that are not a usable JWK Set', () => {
  function serving(body: string, status = 200) {
    return (_req: unknown, res: ServerResponse): void => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(body)
    }
  }

  it.each([
    [
      'a body that is not JSON',
      serving('<html>maintenance</html>'),
      'the JWKS response is not JSON',
      'ERR_JWKS_INVALID',
    ],
    ['an empty body', serving(''), 'the JWKS response is not JSON', 'ERR_JWKS_INVALID'],
    [
      'JSON without a keys array',
      serving('{"foo":1}'),
      'the response is not a JWK Set',
      'ERR_JWKS_INVALID',
    ],
    ['a JSON array', serving('[]'), 'the response is not a JWK Set', 'ERR_JWKS_INVALID'],
    [
      'a 500',
      serving('{"keys":[]}', 500),
      'the JWKS endpoint answered 500, not 200',
      'ERR_JWKS_STATUS',
    ],
    [
      'a 404',
      serving('{"keys":[]}', 404),
      'the JWKS endpoint answered 404, not 200',
      'ERR_JWKS_STATUS',
    ],
    ['a 204', serving('', 204), 'the JWKS endpoint answered 204, not 200', 'ERR_JWKS_STATUS'],
  ])(
    'fails on %s and answers 503 when nothing is cached',
    async (_name, handler, message, code) => {
      server.setHandler(handler)
      await unavailable(keySetFor().getKey('key-1'))
      expect(failureMessages()).toHaveLength(1)
      expect(failureMessages()[0]).toContain(message)
      expect(failureCodes()).toEqual([code])
      expect(events).toMatchObject([{ type: 'jwks-fetch-failed', retryInMs: 5000 }])
    },
  )

  it('accepts a JWK Set behind one UTF-8 byte order mark, as RFC 8259 allows, and not behind two', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf])
    const jwks = Buffer.from(JSON.stringify(jwksOf(key)))
    server.setHandler((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' })
      res.end(Buffer.concat([bom, jwks]))
    })
    await expect(keySetFor().getKey('key-1')).resolves.toMatchObject({ kid: 'key-1', kty: 'RSA' })
    expect(events).toMatchObject([{ type: 'jwks-fetch', keyCount: 1 }])

    events = []
    server.setHandler((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' })
      res.end(Buffer.concat([bom, bom, jwks]))
    })
    await unavailable(keySetFor().getKey('key-1'))
    expect(failureMessages()).toEqual(['the JWKS response is not JSON'])
  })

  it('fails on more keys than maxKeys allows', async () => {
    server.setKeys(
      jwksOf(key, generateTestKey('ES256', 'key-2'), generateTestKey('ES256', 'key-3')),
    )
    await unavailable(keySetFor({ maxKeys: 2 }).getKey('key-1'))
    expect(failureMessages()).toEqual(['the JWK Set holds 3 keys; at most 2 are allowed'])
    expect(failureCodes()).toEqual(['ERR_JWKS_INVALID'])
  })

  it('fails when the connection is dropped', async () => {
    server.setBehaviour('reset')
    await unavailable(keySetFor().getKey('key-1'))
    expect(failureCodes()).toEqual(['ERR_JWKS_NETWORK'])
  })

  it('fails when nothing listens, without putting the URL in the thrown message', async () => {
    await server.close()
    const error = await unavailable(keySetFor().getKey('key-1'))
    expect(error.retryAfter).toBe(5)
    expect(events).toMatchObject([{ type: 'jwks-fetch-failed', jwksUri: server.url }])
    expect(failureCodes()).toEqual(['ERR_JWKS_NETWORK'])
  })
})
