import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { Redis } from 'ioredis'
import { createRedisReplayStore, ReplayStoreUnavailableError } from '../src/index.js'
import type { RedisReplayStoreEvent } from '../src/index.js'
import { startTestRedis } from '@hookseal/test-support/redis-server'
import type { TestRedis } from '@hookseal/test-support/redis-server'

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 2))

/** A client as the README recommends: commands fail at once while Redis is down. */
async function failFast(redis: TestRedis): Promise<Redis> {
  const client = new Redis(redis.port, '127.0.0.1', {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  })
  client.on('error', () => {})
  await once(client, 'ready')
  return client
}

interface Tally {
  accepted: Map<string, number>
  lost: string[]
  replaysAccepted: string[]
  refusals: number
}

/**
 * Delivers every id as a sender would: retry after each refusal (503) until the store accepts it,
 * then send it once more, as a replay that must be refused. Each id counts how often it was
 * accepted; an id refused as a replay before it was ever accepted is lost.
 */
async function deliverAll(
  store: ReturnType<typeof createRedisReplayStore>,
  ids: string[],
  inFlight: number,
  tally: Tally,
): Promise<void> {
  const expiresAt = Date.now() + 300_000
  async function until(id: string): Promise<boolean> {
    for (;;) {
      try {
        return await store.remember(id, expiresAt)
      } catch (error) {
        expect(error).toBeInstanceOf(ReplayStoreUnavailableError)
        tally.refusals++
        await tick()
      }
    }
  }
  const queue = [...ids]
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        if (!(await until(id))) {
          tally.lost.push(id)
          continue
        }
        tally.accepted.set(id, (tally.accepted.get(id) ?? 0) + 1)
        if (await until(id)) tally.replaysAccepted.push(id)
      }
    }),
  )
}

/** Every id accepted exactly once, none lost, no replay accepted. */
function expectEachOnce(tally: Tally, ids: string[]): void {
  expect(tally.lost).toEqual([])
  expect(tally.replaysAccepted).toEqual([])
  expect(ids.filter((id) => tally.accepted.get(id) !== 1)).toEqual([])
}

function newTally(): Tally {
  return { accepted: new Map(), lost: [], replaysAccepted: [], refusals: 0 }
}

describe('a Redis with appendfsync always that is killed and frozen under traffic', () => {
  let redis: TestRedis
  let client: Redis

  beforeAll(async () => {
    redis = await startTestRedis({ appendOnly: true })
    client = await failFast(redis)
  })

  afterAll(async () => {
    client.disconnect()
    await redis.stop()
  })

  it('accepts each of 400 tokens exactly once across 4 kills, losing none', async () => {
    const store = createRedisReplayStore({ client, prefix: 'kills:', timeout: 200 })
    const ids = Array.from({ length: 400 }, (_, i) => `kill-${i}`)
    const tally = newTally()
    let kills = 0
    let delivered = false
    const traffic = deliverAll(store, ids, 48, tally).then(() => {
      delivered = true
    })
    const chaos = (async () => {
      // Kill whenever another 80 tokens went through, while dozens of claims are in flight.
      while (kills < 4) {
        while (tally.accepted.size < (kills + 1) * 80) await tick()
        kills++
        const refused = tally.refusals
        await redis.kill()
        // Down until a claim has been refused: claims already sent can otherwise be resent on
        // reconnect and answered by a Redis that is back before the client gives up on them.
        // (The last kill may come after the last token went through: nothing is left to refuse.)
        while (tally.refusals === refused && !delivered) await tick()
        await redis.restart()
      }
    })()
    await Promise.all([traffic, chaos])

    expect(kills).toBe(4)
    expectEachOnce(tally, ids)
    // The first kill comes with 320 tokens still to go, none of which Redis can accept while down.
    expect(tally.refusals).toBeGreaterThan(0)
  })

  it('accepts each of 300 tokens exactly once across 3 freezes, losing none', async () => {
    const events: RedisReplayStoreEvent[] = []
    const store = createRedisReplayStore({
      client,
      prefix: 'freezes:',
      timeout: 100,
      onEvent: (event) => events.push(event),
    })
    const ids = Array.from({ length: 300 }, (_, i) => `freeze-${i}`)
    const tally = newTally()
    let freezes = 0
    const timeouts = (): number =>
      events.filter((e) => e.type === 'replay-store-unavailable' && e.reason === 'timeout').length
    const traffic = deliverAll(store, ids, 48, tally)
    const chaos = (async () => {
      while (freezes < 3) {
        while (tally.accepted.size < (freezes + 1) * 70) await tick()
        freezes++
        const before = timeouts()
        redis.freeze()
        // Thawed once many claims and retries have timed out and queued up behind the freeze.
        while (timeouts() < before + 100) await tick()
        redis.thaw()
      }
    })()
    await Promise.all([traffic, chaos])

    expect(freezes).toBe(3)
    expectEachOnce(tally, ids)
  })
})

describe('a Redis without persistence that restarts', () => {
  let redis: TestRedis
  let client: Redis

  beforeAll(async () => {
    redis = await startTestRedis()
    client = await failFast(redis)
  })

  afterEach(() => {
    vi.useRealTimers()
  })

  afterAll(async () => {
    client.disconnect()
    await redis.stop()
  })

  async function settle(call: () => Promise<boolean>): Promise<boolean | unknown> {
    for (;;) {
      const outcome = await call().catch((error: unknown) => error)
      if (!(outcome instanceof ReplayStoreUnavailableError) || outcome.reason === 'data-loss') {
        return outcome
      }
      await tick()
    }
  }

  it('refuses tokens from before the loss for one token lifetime, in every instance', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const lifetime = 60_000
    const events: RedisReplayStoreEvent[] = []
    const store = createRedisReplayStore({
      client,
      maxTokenLifetime: lifetime,
      onEvent: (event) => events.push(event),
    })
    const old = Date.now() + lifetime
    expect(await store.remember('before', old)).toBe(true)
    expect(await store.remember('before', old)).toBe(false)

    await redis.restart()
    vi.setSystemTime(Date.now() + 1000)
    const refused = await settle(() => store.remember('before', old))
    expect(refused).toBeInstanceOf(ReplayStoreUnavailableError)
    expect(refused).toMatchObject({ reason: 'data-loss', code: 'ERR_REPLAY_STORE_UNAVAILABLE' })
    const loss = events.find((event) => event.type === 'replay-store-data-loss')
    expect(loss).toMatchObject({ refusingUntil: Date.now() + lifetime })

    // A token issued after the loss, with a full lifetime ahead of it, is decided as usual.
    const fresh = Date.now() + lifetime
    expect(await store.remember('after', fresh)).toBe(true)
    expect(await store.remember('after', fresh)).toBe(false)

    // An instance started after the restart learns of the loss from the sentinel.
    const later = createRedisReplayStore({ client, maxTokenLifetime: lifetime })
    await expect(later.remember('before', old)).rejects.toMatchObject({ reason: 'data-loss' })
    expect(await later.remember('after', fresh)).toBe(false)

    // One lifetime later every token from before the loss has expired, and the store is as before.
    vi.setSystemTime(Date.now() + lifetime)
    expect(await store.remember('next', Date.now() + lifetime)).toBe(true)
    expect(await later.remember('next', Date.now() + lifetime)).toBe(false)
    expect(events.filter((event) => event.type === 'replay-store-data-loss')).toHaveLength(1)
  })

  it('notices a flush, and refuses old tokens even with failOpen', async () => {
    const store = createRedisReplayStore({ client, prefix: 'flush:', failOpen: true })
    const old = Date.now() + 300_000
    expect(await store.remember('before', old)).toBe(true)
    await redis.client().flushall()
    await expect(store.remember('before', old)).rejects.toMatchObject({ reason: 'data-loss' })
  })
})

describe('expiry', () => {
  let redis: TestRedis
  let client: Redis

  beforeAll(async () => {
    redis = await startTestRedis()
    client = redis.client()
  })

  afterAll(() => redis.stop())

  it.each([
    ['an exp near 2^63 ms', 9.3e18],
    ['an exp past what a 64-bit integer holds', 1e300],
  ])('remembers a token with %s for at most maxTtl', async (_, expiresAt) => {
    const store = createRedisReplayStore({
      client,
      prefix: `far-${expiresAt}:`,
      maxTtl: 86_400_000,
    })
    expect(await store.remember('far', expiresAt)).toBe(true)
    expect(await store.remember('far', expiresAt)).toBe(false)
    const ttl = await client.pttl(`far-${expiresAt}:${sha256('far')}`)
    expect(ttl).toBeGreaterThan(86_000_000)
    expect(ttl).toBeLessThanOrEqual(86_400_000)
  })

  it('with failOpen accepts a far-future token once, not every time', async () => {
    const events: RedisReplayStoreEvent[] = []
    const store = createRedisReplayStore({
      client,
      prefix: 'far-open:',
      failOpen: true,
      onEvent: (event) => events.push(event),
    })
    expect(await store.remember('far', 9.3e18)).toBe(true)
    expect(await store.remember('far', 9.3e18)).toBe(false)
    expect(events).toEqual([])
  })

  it.each([
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['NaN', Number.NaN],
    ['a string', '1700000000000' as unknown as number],
  ])('refuses an expiry of %s with a TypeError and a stable code', async (_, expiresAt) => {
    const store = createRedisReplayStore({ client, prefix: 'bad-exp:', failOpen: true })
    const error = await store.remember('x', expiresAt).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' })
  })

  it.each([
    ['a maxTtl over 100 years', { maxTtl: 4e12 }],
    ['an infinite maxTtl', { maxTtl: Number.POSITIVE_INFINITY }],
    ['a zero maxTokenLifetime', { maxTokenLifetime: 0 }],
  ])('throws a TypeError at creation for %s', (_, options) => {
    expect(() => createRedisReplayStore({ client, ...options })).toThrow(TypeError)
  })
})
