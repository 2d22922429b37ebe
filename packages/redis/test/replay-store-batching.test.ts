import { once } from 'node:events'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { Redis } from 'ioredis'
import { createRedisReplayStore, ReplayStoreUnavailableError } from '../src/index.js'
import type { ReplayRedisClient } from '../src/index.js'
import { startTestRedis } from '@hookseal/test-support/redis-server'
import { settlesAtOnce, useFakeClock } from '@hookseal/test-support/fake-clock'
import { waitUntil } from '@hookseal/test-support/wait-until'

const redis = await startTestRedis()
afterAll(() => redis.stop())
afterEach(() => vi.useRealTimers())

/** The client with every command the store sends counted. */
function counting(client: ReplayRedisClient): ReplayRedisClient & { readonly sent: number } {
  let sent = 0
  return {
    get sent() {
      return sent
    },
    eval(...args) {
      sent++
      return client.eval(...args)
    },
    evalsha(...args) {
      sent++
      return client.evalsha(...args)
    },
  }
}

const expiresAt = (): number => Date.now() + 60_000

describe('claims made together', () => {
  it('go to Redis in a few commands, and each gets its own answer', async () => {
    const client = counting(redis.client())
    const store = createRedisReplayStore({ client, prefix: 'together:' })
    // The first call reads the sentinel; from then on every claim is one script.
    expect(await store.remember('warm-up', expiresAt())).toBe(true)
    const before = client.sent

    const ids = Array.from({ length: 16 }, (_, i) => (i === 15 ? 'id-3' : `id-${i}`))
    const answers = await Promise.all(ids.map((id) => store.remember(id, expiresAt())))

    // Of the two calls for id-3, exactly one is accepted; the 14 other ids are accepted once each.
    expect([answers[3], answers[15]].filter(Boolean)).toHaveLength(1)
    expect(answers.filter(Boolean)).toHaveLength(15)
    // One call at a time would send 16 commands: here the first goes alone, the next ones in
    // batches while it is in flight, and the second call for id-3 once the first has its answer.
    expect(client.sent - before).toBeLessThanOrEqual(8)
    // Each claim is its id's own key, expiring with its token.
    expect(await redis.client().keys('together:*')).toHaveLength(17)
    expect(await redis.client().pttl('together:sentinel')).toBe(-1)
  })

  it('are decided as one at a time would be, across two stores and one Redis', async () => {
    const one = createRedisReplayStore({ client: redis.client(), prefix: 'two:' })
    const other = createRedisReplayStore({ client: redis.client(), prefix: 'two:' })
    await Promise.all([
      one.remember('warm-up', expiresAt()),
      other.remember('warm-up', expiresAt()),
    ])
    const ids = Array.from({ length: 40 }, (_, i) => `id-${i % 20}`)
    const answers = await Promise.all(
      ids.map((id, i) => (i % 3 === 0 ? one : other).remember(id, expiresAt())),
    )
    // 20 ids, each sent twice: accepted exactly once.
    const accepted = ids.filter((_, i) => answers[i])
    expect(accepted.sort()).toEqual([...new Set(ids)].sort())
  })
})

describe('claims under fake timers', () => {
  it('are sent and answered without the fake time moving, setImmediate faked too', async () => {
    const store = createRedisReplayStore({ client: redis.client(), prefix: 'fake-timers:' })
    expect(await store.remember('warm-up', expiresAt())).toBe(true)
    // As an application's own tests would: every timer faked, setImmediate included.
    vi.useFakeTimers()
    // Ten calls: batches that are not full, which no timer may be needed to send.
    const calls = Promise.all(
      Array.from({ length: 10 }, (_, i) => store.remember(`id-${i}`, expiresAt())),
    )
    expect(await settlesAtOnce(calls, 'the calls')).toEqual(Array(10).fill(true))
  })
})

describe('a batch in flight when Redis goes down', () => {
  it('rejects every call in it with ReplayStoreUnavailableError, none left waiting', async () => {
    const doomed = await startTestRedis()
    // Fails the commands it holds as soon as the connection drops, without retrying them.
    const raw = new Redis(doomed.port, '127.0.0.1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    })
    raw.on('error', () => {})
    await once(raw, 'ready')
    const client = counting(raw)
    try {
      const store = createRedisReplayStore({ client, prefix: 'down:', timeout: 60_000 })
      expect(await store.remember('warm-up', expiresAt())).toBe(true)
      const before = client.sent

      doomed.freeze()
      // The store's timer cannot fire: whatever ends these calls is Redis going away.
      useFakeClock(Date.now())
      const calls = Array.from({ length: 16 }, (_, i) => store.remember(`id-${i}`, expiresAt()))
      for (const call of calls) call.catch(() => {})
      await waitUntil(() => client.sent > before, 'the batch to be sent')
      await doomed.kill()

      const outcomes = await settlesAtOnce(Promise.allSettled(calls), 'every call')
      const reasons = (outcomes as PromiseSettledResult<boolean>[]).map((outcome) =>
        outcome.status === 'rejected' ? outcome.reason : outcome.value,
      )
      expect(reasons).toHaveLength(16)
      for (const reason of reasons) {
        expect(reason).toBeInstanceOf(ReplayStoreUnavailableError)
        expect(reason).toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE', reason: 'error' })
      }
    } finally {
      raw.disconnect()
      await doomed.stop()
    }
  })
})
