import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { JwksUnavailableError, WebhookError } from '../../src/errors/webhook-error.js'
import { createRemoteKeySet } from '../../src/jwks/create-remote-key-set.js'
import type { KeySetEvent, RemoteKeySet, RemoteKeySetOptions } from '../../src/jwks/types.js'
import { isUsable } from '../../src/keys/verification-key.js'
import { restartJwksServer, startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import {
  advanceDate,
  settlesAtOnce,
  useFakeClock,
  useFakeDate,
} from '@hookseal/test-support/fake-clock'
import { generateTestKey, jwksOf } from '@hookseal/test-support/test-keys'
import type { TestKey } from '@hookseal/test-support/test-keys'

const SECOND = 1000

let oldKey: TestKey
let newKey: TestKey
let server: JwksServer
let events: KeySetEvent[]

beforeAll(async () => {
  oldKey = generateTestKey('RS256', 'key-old')
  newKey = generateTestKey('RS256', 'key-new')
  server = await startJwksServer(jwksOf(oldKey))
})

afterAll(() => server.close())

beforeEach(() => {
  useFakeDate()
  events = []
})

afterEach(async () => {
  vi.useRealTimers()
  server = await restartJwksServer(server, jwksOf(oldKey))
})

async function primedKeySet(options: Partial<RemoteKeySetOptions> = {}): Promise<RemoteKeySet> {
  const keySet = createRemoteKeySet({
    jwksUri: server.url,
    allowInsecureHttp: true,
    onEvent: (event) => events.push(event),
    ...options,
  })
  await keySet.getKey('key-old')
  expect(server.requestCount).toBe(1)
  events = []
  return keySet
}

function count(type: KeySetEvent['type']): number {
  return events.filter((event) => event.type === type).length
}

async function settleAll(promises: Array<Promise<unknown>>): Promise<unknown[]> {
  return Promise.all(
    promises.map((promise) =>
      promise.then(
        () => undefined,
        (err: unknown) => err,
      ),
    ),
  )
}

function codes(errors: unknown[]): Set<string | undefined> {
  return new Set(errors.map((err) => (err instanceof WebhookError ? err.code : undefined)))
}

describe('a freshly rotated kid', () => {
  it('is fetched once for 500 concurrent requests, and every one gets the new key', async () => {
    const keySet = await primedKeySet()
    server.setKeys(jwksOf(newKey))

    const entries = await Promise.all(Array.from({ length: 500 }, () => keySet.getKey('key-new')))

    expect(server.requestCount).toBe(2)
    expect(entries).toHaveLength(500)
    for (const entry of entries) {
      expect(isUsable(entry) && entry.keyObject.equals(newKey.publicKey)).toBe(true)
    }
    expect(count('jwks-fetch')).toBe(1)
  })
})

describe('unknown kids', () => {
  it('cause at most one fetch per cooldown however many arrive', async () => {
    const keySet = await primedKeySet()

    const flood = await settleAll(Array.from({ length: 200 }, () => keySet.getKey(randomUUID())))
    expect(server.requestCount).toBe(2)
    expect(codes(flood)).toEqual(new Set(['ERR_KEY_NOT_FOUND']))

    advanceDate(29 * SECOND)
    const during = await settleAll(Array.from({ length: 200 }, () => keySet.getKey(randomUUID())))
    expect(server.requestCount).toBe(2)
    expect(codes(during)).toEqual(new Set(['ERR_KEY_NOT_FOUND']))
    expect(count('jwks-cooldown')).toBe(200)

    advanceDate(SECOND)
    const after = await settleAll(Array.from({ length: 200 }, () => keySet.getKey(randomUUID())))
    expect(server.requestCount).toBe(3)
    expect(codes(after)).toEqual(new Set(['ERR_KEY_NOT_FOUND']))
    // Known kids are untouched by the cooldown.
    await expect(keySet.getKey('key-old')).resolves.toMatchObject({ kid: 'key-old' })
  })

  it('are refused at once during the cooldown, never queued behind a fetch', async () => {
    const keySet = await primedKeySet({ timeout: 5000 })
    await settleAll([keySet.getKey('first-unknown')])
    expect(server.requestCount).toBe(2)

    // Were a lookup to fetch or wait now, it would sit on this endpoint until a timer fired; with
    // the timers fake and standing still, it would never be answered.
    server.setBehaviour('hang')
    useFakeClock(Date.now())
    const lookup = settleAll([keySet.getKey('second-unknown')])
    const [error] = (await settlesAtOnce(lookup, 'the refusal')) as unknown[]
    expect((error as WebhookError).code).toBe('ERR_KEY_NOT_FOUND')
    expect((error as WebhookError).status).toBe(401)
    expect(server.requestCount).toBe(2)
    expect(events.at(-1)).toEqual({
      type: 'jwks-cooldown',
      jwksUri: server.url,
      kid: 'second-unknown',
    })
  })

  it('start the cooldown from their refetch even when it finds the kid', async () => {
    const keySet = await primedKeySet()
    server.setKeys(jwksOf(oldKey, newKey))
    await keySet.getKey('key-new')
    await settleAll([keySet.getKey('random')])
    expect(server.requestCount).toBe(2)
    expect(count('jwks-unknown-kid')).toBe(1)
    expect(count('jwks-cooldown')).toBe(1)
  })

  it('are refused with ERR_KEY_NOT_FOUND when the first fetch lacks them, and stay cached', async () => {
    const keySet = createRemoteKeySet({ jwksUri: server.url, allowInsecureHttp: true })
    const [first, second] = await settleAll([keySet.getKey('nope'), keySet.getKey('nope')])
    expect((first as WebhookError).code).toBe('ERR_KEY_NOT_FOUND')
    expect((second as WebhookError).code).toBe('ERR_KEY_NOT_FOUND')
    await settleAll([keySet.getKey('nope')])
    expect(server.requestCount).toBe(1)
  })

  it('get 503, not 401, when their refetch fails: the kid may exist', async () => {
    const keySet = await primedKeySet()
    server.setBehaviour('down')

    const [error] = await settleAll([keySet.getKey('key-new')])
    expect(error).toBeInstanceOf(JwksUnavailableError)
    expect((error as JwksUnavailableError).retryAfter).toBe(5)
    expect((error as JwksUnavailableError).message).not.toContain(server.url)
    expect(server.requestCount).toBe(2)

    // During the backoff: refused at once with the remaining wait, no fetch; known kids still verify.
    advanceDate(3 * SECOND)
    const [again] = await settleAll([keySet.getKey('key-new')])
    expect((again as JwksUnavailableError).retryAfter).toBe(2)
    expect(server.requestCount).toBe(2)
    await expect(keySet.getKey('key-old')).resolves.toMatchObject({ kid: 'key-old' })
    expect(count('jwks-unknown-kid')).toBe(2)
  })

  it('never name the kid or any key in the refusal', async () => {
    const keySet = await primedKeySet()
    const [error] = await settleAll([keySet.getKey('<script>kid</script>')])
    expect((error as WebhookError).message).not.toContain('script')
    expect((error as WebhookError).message).not.toContain(String(oldKey.jwk.n).slice(0, 16))
  })
})
