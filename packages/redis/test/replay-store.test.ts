import { createHash } from 'node:crypto'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { createRedisReplayStore, ReplayStoreUnavailableError } from '../src/index.js'
import type { RedisReplayStoreEvent, RedisReplayStoreOptions } from '../src/index.js'
import { startTestRedis } from '@hookseal/test-support/redis-server'
import { settlesAfter, useFakeClock } from '@hookseal/test-support/fake-clock'

const redis = await startTestRedis()
const client = redis.client()
afterAll(() => redis.stop())

afterEach(() => vi.useRealTimers())

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')

describe('createRedisReplayStore', () => {
  it('answers true the first time and false while the id is remembered', async () => {
    const store = createRedisReplayStore({ client, prefix: 'first:' })
    const expiresAt = Date.now() + 60_000
    expect(await store.remember('a', expiresAt)).toBe(true)
    expect(await store.remember('a', expiresAt)).toBe(false)
    expect(await store.remember('b', expiresAt)).toBe(true)
    expect(await store.remember('a', expiresAt)).toBe(false)
  })

  it('forgets an id once its expiry has passed', async () => {
    const store = createRedisReplayStore({ client, prefix: 'expiry:' })
    expect(await store.remember('a', Date.now() + 150)).toBe(true)
    expect(await store.remember('a', Date.now() + 150)).toBe(false)
    // Redis keeps the time: the key is gone when its PX runs out, and with it the memory of 'a'.
    await expect.poll(() => client.exists(`expiry:${sha256('a')}`), { interval: 10 }).toBe(0)
    expect(await store.remember('a', Date.now() + 60_000)).toBe(true)
  })

  it('keeps an already expired token for at least a millisecond rather than sending PX 0', async () => {
    const store = createRedisReplayStore({ client, prefix: 'past:' })
    expect(await store.remember('a', Date.now() - 10_000)).toBe(true)
    await expect.poll(() => client.exists(`past:${sha256('a')}`), { interval: 1 }).toBe(0)
  })

  it('stores prefixed SHA-256 keys that expire with the token', async () => {
    const store = createRedisReplayStore({ client, prefix: 'keys:' })
    const long = 'x'.repeat(100_000)
    const odd = 'iss\0jti \u00e9\u{1F600}*?[]{}\r\n'
    const expiresAt = Date.now() + 60_000
    expect(await store.remember(long, expiresAt)).toBe(true)
    expect(await store.remember(odd, expiresAt)).toBe(true)

    const keys = (await client.keys('keys:*')).filter((key) => key !== 'keys:sentinel').sort()
    expect(keys).toEqual([`keys:${sha256(long)}`, `keys:${sha256(odd)}`].sort())
    for (const key of keys) {
      expect(key).toMatch(/^keys:[0-9a-f]{64}$/)
      const ttl = await client.pttl(key)
      expect(ttl).toBeGreaterThan(55_000)
      expect(ttl).toBeLessThanOrEqual(60_000)
    }
  })

  it('uses hookseal:replay: by default, and prefixes keep applications apart', async () => {
    const one = createRedisReplayStore({ client })
    const other = createRedisReplayStore({ client, prefix: 'other-app:' })
    const expiresAt = Date.now() + 60_000
    expect(await one.remember('shared-id', expiresAt)).toBe(true)
    expect(await other.remember('shared-id', expiresAt)).toBe(true)
    expect(await client.exists(`hookseal:replay:${sha256('shared-id')}`)).toBe(1)
    expect(await one.remember('shared-id', expiresAt)).toBe(false)
  })

  it('accepts exactly one of many concurrent calls for one id, across connections', async () => {
    const stores = [redis.client(), redis.client(), redis.client()].map((c) =>
      createRedisReplayStore({ client: c, prefix: 'race:' }),
    )
    const expiresAt = Date.now() + 60_000
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => stores[i % stores.length]!.remember('x', expiresAt)),
    )
    expect(answers.filter(Boolean)).toHaveLength(1)
  })

  it('gives up after timeout when Redis stalls, and undoes a SET that lands later', async () => {
    const pauser = redis.client()
    const events: RedisReplayStoreEvent[] = []
    const store = createRedisReplayStore({
      client: redis.client(),
      prefix: 'slow:',
      timeout: 200,
      onEvent: (event) => events.push(event),
    })
    // Paused until told otherwise: the stall ends when the test says, not after a real wait.
    await pauser.call('CLIENT', 'PAUSE', '60000', 'WRITE')
    useFakeClock(Date.now())
    const claim = store.remember('late', Date.now() + 60_000)
    const error = await settlesAfter(claim, 200, 'the claim')
    vi.useRealTimers()
    expect(error).toBeInstanceOf(ReplayStoreUnavailableError)
    expect((error as ReplayStoreUnavailableError).reason).toBe('timeout')
    expect(events).toMatchObject([
      { type: 'replay-store-unavailable', reason: 'timeout', accepted: false },
    ])

    // After the pause the queued SET succeeds; the store deletes it so the retry is accepted (a
    // call for the same id waits for the one before it to be settled).
    await pauser.call('CLIENT', 'UNPAUSE')
    expect(await store.remember('late', Date.now() + 60_000)).toBe(true)
    expect(events).toHaveLength(1)
  })

  it('with failOpen accepts on a stall, reports it, and keeps the late record', async () => {
    const pauser = redis.client()
    const events: RedisReplayStoreEvent[] = []
    const store = createRedisReplayStore({
      client: redis.client(),
      prefix: 'slow-open:',
      timeout: 150,
      failOpen: true,
      onEvent: (event) => {
        events.push(event)
        throw new Error('a listener that throws changes nothing')
      },
    })
    // The store reads its sentinel on its first call; the stall hits the claim itself.
    expect(await store.remember('warm-up', Date.now() + 60_000)).toBe(true)
    await pauser.call('CLIENT', 'PAUSE', '60000', 'WRITE')
    useFakeClock(Date.now())
    expect(await settlesAfter(store.remember('late', Date.now() + 60_000), 150, 'the claim')).toBe(
      true,
    )
    vi.useRealTimers()
    expect(events).toMatchObject([
      { type: 'replay-store-unavailable', reason: 'timeout', accepted: true },
    ])
    await pauser.call('CLIENT', 'UNPAUSE')
    expect(await store.remember('late', Date.now() + 60_000)).toBe(false)
  })

  it('reports a failing command as unavailable, with the failure as the cause', async () => {
    const failure = new Error('READONLY You cannot write against a read only replica.')
    const store = createRedisReplayStore({
      client: { eval: () => Promise.reject(failure), evalsha: () => Promise.reject(failure) },
    })
    const error = await store.remember('a', Date.now() + 60_000).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ReplayStoreUnavailableError)
    expect(error).toMatchObject({ reason: 'error', cause: failure })
  })

  const base = (): RedisReplayStoreOptions => ({ client })
  it.each<[string, () => RedisReplayStoreOptions]>([
    ['no client', () => ({ client: undefined as never })],
    ['a client without evalsha', () => ({ client: { eval: client.eval } as never })],
    ['an empty prefix', () => ({ ...base(), prefix: '' })],
    ['a prefix that is not a string', () => ({ ...base(), prefix: 1 as never })],
    ['a zero timeout', () => ({ ...base(), timeout: 0 })],
    ['a negative timeout', () => ({ ...base(), timeout: -5 })],
    ['an infinite timeout', () => ({ ...base(), timeout: Number.POSITIVE_INFINITY })],
    ['a NaN timeout', () => ({ ...base(), timeout: Number.NaN })],
    ['a failOpen that is not a boolean', () => ({ ...base(), failOpen: 'yes' as never })],
    ['an onEvent that is not a function', () => ({ ...base(), onEvent: {} as never })],
  ])('throws a TypeError for %s', (_, options) => {
    expect(() => createRedisReplayStore(options())).toThrow(TypeError)
  })
})
