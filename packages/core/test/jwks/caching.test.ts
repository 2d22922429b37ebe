import type { ServerResponse } from 'node:http'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { JwksUnavailableError, WebhookError } from '../../src/errors/webhook-error.js'
import { createRemoteKeySet } from '../../src/jwks/create-remote-key-set.js'
import type { KeySetEvent, RemoteKeySet, RemoteKeySetOptions } from '../../src/jwks/types.js'
import { isUsable } from '../../src/keys/verification-key.js'
import { restartJwksServer, startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { generateTestKey, jwksOf } from '@hookseal/test-support/test-keys'
import type { TestKey } from '@hookseal/test-support/test-keys'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { advanceDate, useFakeDate } from '@hookseal/test-support/fake-clock'
import { rejectionOf } from '@hookseal/test-support/rejection'

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

let key: TestKey
let nextKey: TestKey
let server: JwksServer
let events: KeySetEvent[]

beforeAll(async () => {
  key = generateTestKey('RS256', 'key-1')
  nextKey = generateTestKey('RS256', 'key-2')
  server = await startJwksServer(jwksOf(key))
})

afterAll(() => server.close())

beforeEach(() => {
  // Only Date is faked: sockets and the fetch timeout keep running on real time.
  useFakeDate()
  events = []
})

afterEach(async () => {
  vi.useRealTimers()
  server = await restartJwksServer(server, jwksOf(key))
})

function keySetFor(options: Partial<RemoteKeySetOptions> = {}): RemoteKeySet {
  return createRemoteKeySet({
    jwksUri: server.url,
    allowInsecureHttp: true,
    onEvent: (event) => events.push(event),
    ...options,
  })
}

function eventsOf<T extends KeySetEvent['type']>(
  type: T,
): Array<Extract<KeySetEvent, { type: T }>> {
  return events.filter((event): event is Extract<KeySetEvent, { type: T }> => event.type === type)
}

function refusal(promise: Promise<unknown>): Promise<WebhookError> {
  return rejectionOf(promise, WebhookError)
}

async function unavailable(promise: Promise<unknown>): Promise<JwksUnavailableError> {
  const error = await refusal(promise)
  expect(error).toBeInstanceOf(JwksUnavailableError)
  expect(error.code).toBe('ERR_JWKS_UNAVAILABLE')
  return error as JwksUnavailableError
}

describe('Cache-Control max-age', () => {
  it('is honoured: no refetch before expiry, one refetch after it', async () => {
    server.setHeaders({ 'cache-control': 'public, max-age=120' })
    const keySet = keySetFor()
    await keySet.getKey('key-1')
    expect(eventsOf('jwks-fetch')).toMatchObject([{ maxAgeMs: 120 * SECOND }])

    advanceDate(95 * SECOND)
    await keySet.getKey('key-1')
    expect(server.requestCount).toBe(1)

    advanceDate(26 * SECOND)
    await Promise.all([keySet.getKey('key-1'), keySet.getKey('key-1')])
    expect(server.requestCount).toBe(2)
  })

  it('is raised to minCacheMaxAge when the sender asks for 1 second', async () => {
    server.setHeaders({ 'cache-control': 'max-age=1' })
    const keySet = keySetFor()
    await keySet.getKey('key-1')
    advanceDate(40 * SECOND)
    await keySet.getKey('key-1')
    expect(server.requestCount).toBe(1)
    expect(eventsOf('jwks-fetch')).toMatchObject([{ maxAgeMs: MINUTE }])
  })

  it('is lowered to maxCacheMaxAge when the sender asks for a year', async () => {
    server.setHeaders({ 'cache-control': 'max-age=31536000' })
    const keySet = keySetFor()
    await keySet.getKey('key-1')
    expect(eventsOf('jwks-fetch')).toMatchObject([{ maxAgeMs: 24 * HOUR }])
    advanceDate(24 * HOUR + SECOND)
    await keySet.getKey('key-1')
    expect(server.requestCount).toBe(2)
  })

  it('uses cacheMaxAge without a header and the lower bound for no-store', async () => {
    await keySetFor().getKey('key-1')
    server.setHeaders({ 'cache-control': 'no-store' })
    await keySetFor().getKey('key-1')
    await keySetFor({ cacheMaxAge: 5 * MINUTE }).getKey('key-1')
    expect(eventsOf('jwks-fetch').map((event) => event.maxAgeMs)).toEqual([
      10 * MINUTE,
      MINUTE,
      MINUTE,
    ])
  })
})

describe('background refresh', () => {
  it('answers from cache after 80% of the lifetime and refreshes once, behind the scenes', async () => {
    const held: ServerResponse[] = []
    server.setHeaders({ 'cache-control': 'max-age=100' })
    const keySet = keySetFor()
    await keySet.getKey('key-1')

    advanceDate(79 * SECOND)
    await keySet.getKey('key-1')
    expect(server.requestCount).toBe(1)

    server.setHandler((_req, res) => held.push(res))
    advanceDate(2 * SECOND)
    const entries = await Promise.all(Array.from({ length: 20 }, () => keySet.getKey('key-1')))
    expect(entries.every((entry) => entry.kid === 'key-1')).toBe(true)
    // Every access resolved while the refresh was still unanswered.
    await waitUntil(() => held.length === 1)
    expect(server.requestCount).toBe(2)

    server.setHandler(undefined)
    held[0]?.writeHead(200, { 'cache-control': 'max-age=100' })
    held[0]?.end(JSON.stringify(jwksOf(key, nextKey)))
    await waitUntil(() => eventsOf('jwks-fetch').length === 2)
    await expect(keySet.getKey('key-2')).resolves.toMatchObject({ kid: 'key-2' })
    expect(server.requestCount).toBe(2)
  })

  it('reports a failed refresh as an event, never as an unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason)
    }
    process.on('unhandledRejection', onUnhandled)
    try {
      const keySet = keySetFor()
      await keySet.getKey('key-1')
      server.setBehaviour('down')
      advanceDate(9 * MINUTE)
      await expect(keySet.getKey('key-1')).resolves.toMatchObject({ kid: 'key-1' })
      await waitUntil(() => eventsOf('jwks-fetch-failed').length === 1)
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(unhandled).toEqual([])
      // The failed refresh starts a backoff, and the still-fresh keys keep answering meanwhile.
      await keySet.getKey('key-1')
      expect(server.requestCount).toBe(2)
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})

describe('a listener that throws', () => {
  it('changes no outcome: keys still resolve and failures still answer 503', async () => {
    const keySet = createRemoteKeySet({
      jwksUri: server.url,
      allowInsecureHttp: true,
      onEvent: () => {
        throw new Error('listener bug')
      },
    })
    await expect(keySet.getKey('key-1')).resolves.toMatchObject({ kid: 'key-1' })
    server.setBehaviour('down')
    await unavailable(keySet.refresh())
    await expect(keySet.getKey('key-1')).resolves.toMatchObject({ kid: 'key-1' })
  })
})

describe('an endpoint that goes down', () => {
  it('keeps verifying with cached keys through the stale window, then answers 503', async () => {
    const keySet = keySetFor()
    await keySet.getKey('key-1')
    server.setBehaviour('down')

    advanceDate(10 * MINUTE + SECOND)
    const stale = await keySet.getKey('key-1')
    expect(isUsable(stale) && stale.keyObject.equals(key.publicKey)).toBe(true)
    expect(server.requestCount).toBe(2)
    expect(eventsOf('jwks-stale')).toEqual([
      { type: 'jwks-stale', jwksUri: server.url, staleForMs: SECOND },
    ])

    // Inside the backoff: served stale again, no new attempt.
    advanceDate(4 * SECOND)
    await keySet.getKey('key-1')
    expect(server.requestCount).toBe(2)
    expect(eventsOf('jwks-stale')).toHaveLength(2)

    // A kid the stale set lacks may have been rotated in meanwhile: 503, not 401.
    const missing = await unavailable(keySet.getKey('key-2'))
    expect(missing.retryAfter).toBe(1)

    advanceDate(59 * MINUTE)
    await keySet.getKey('key-1')
    expect(server.requestCount).toBe(3)
    expect(eventsOf('jwks-stale')).toHaveLength(3)

    // Past the window (expired 60 min 5 s ago) and past the 10 s backoff: one more attempt, then 503.
    advanceDate(MINUTE)
    const error = await unavailable(keySet.getKey('key-1'))
    expect(server.requestCount).toBe(4)
    expect(error.status).toBe(503)
    expect(error.retryAfter).toBe(20)
    expect(error.message).not.toContain(server.url)
    expect(eventsOf('jwks-stale')).toHaveLength(3)

    advanceDate(5 * SECOND)
    expect((await unavailable(keySet.getKey('key-1'))).retryAfter).toBe(15)
    expect(server.requestCount).toBe(4)
    expect(eventsOf('jwks-fetch-failed').map((event) => event.retryInMs)).toEqual([
      5000, 10_000, 20_000,
    ])

    // Back up: once the backoff has passed, the next access fetches and verifies again.
    server.setBehaviour('serve')
    advanceDate(15 * SECOND)
    await expect(keySet.getKey('key-1')).resolves.toMatchObject({ kid: 'key-1' })
    expect(server.requestCount).toBe(5)
  })

  it('serves no stale keys at all with a stale window of zero', async () => {
    const keySet = keySetFor({ staleWindow: 0 })
    await keySet.getKey('key-1')
    server.setBehaviour('down')
    advanceDate(10 * MINUTE)
    await unavailable(keySet.getKey('key-1'))
    expect(eventsOf('jwks-stale')).toEqual([])
  })
})

describe('backoff after a failed fetch', () => {
  it('makes no attempt until the backoff elapses, doubles it, and resets it on success', async () => {
    server.setBehaviour('down')
    const keySet = keySetFor()

    expect((await unavailable(keySet.getKey('key-1'))).retryAfter).toBe(5)
    expect(server.requestCount).toBe(1)

    advanceDate(4900)
    expect((await unavailable(keySet.getKey('key-1'))).retryAfter).toBe(1)
    expect(server.requestCount).toBe(1)

    advanceDate(100)
    expect((await unavailable(keySet.getKey('key-1'))).retryAfter).toBe(10)
    expect(server.requestCount).toBe(2)

    advanceDate(9 * SECOND)
    await unavailable(keySet.getKey('key-1'))
    expect(server.requestCount).toBe(2)

    advanceDate(SECOND)
    expect((await unavailable(keySet.getKey('key-1'))).retryAfter).toBe(20)
    expect(server.requestCount).toBe(3)

    server.setBehaviour('serve')
    advanceDate(20 * SECOND)
    await keySet.getKey('key-1')
    expect(server.requestCount).toBe(4)

    server.setBehaviour('down')
    await expect(keySet.refresh()).rejects.toBeInstanceOf(JwksUnavailableError)
    expect(eventsOf('jwks-fetch-failed').map((event) => event.retryInMs)).toEqual([
      5000, 10_000, 20_000, 5000,
    ])
  })

  it('stops doubling at maxBackoff', async () => {
    server.setBehaviour('down')
    const keySet = keySetFor({ backoff: 5000, maxBackoff: 60_000 })
    for (let attempt = 0; attempt < 6; attempt++) {
      await expect(keySet.refresh()).rejects.toBeInstanceOf(JwksUnavailableError)
    }
    expect(eventsOf('jwks-fetch-failed').map((event) => event.retryInMs)).toEqual([
      5000, 10_000, 20_000, 40_000, 60_000, 60_000,
    ])
  })
})

describe('refresh()', () => {
  it('fetches even while the cache is fresh, once for any number of concurrent calls', async () => {
    const keySet = keySetFor()
    await keySet.getKey('key-1')
    server.setKeys(jwksOf(key, nextKey))
    await Promise.all(Array.from({ length: 10 }, () => keySet.refresh()))
    expect(server.requestCount).toBe(2)
    await expect(keySet.getKey('key-2')).resolves.toMatchObject({ kid: 'key-2' })
    expect(server.requestCount).toBe(2)
  })

  it('rejects with ERR_JWKS_UNAVAILABLE when the fetch fails, keeping the cached keys', async () => {
    const keySet = keySetFor()
    await keySet.getKey('key-1')
    server.setBehaviour('down')
    const error = await unavailable(keySet.refresh())
    expect(error.cause).toBeInstanceOf(Error)
    await expect(keySet.getKey('key-1')).resolves.toMatchObject({ kid: 'key-1' })
  })
})
