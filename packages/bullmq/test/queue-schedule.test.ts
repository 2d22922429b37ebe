import { describe, expect, it } from 'vitest'
import { scheduledDelay } from '../src/retry-schedule.js'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { useQueueHarness } from './queue-harness.js'

const queue = useQueueHarness('schedule')
const { queued, inspector, worker } = queue

describe('the retry schedule', () => {
  it('spreads waits by the jitter, honours Retry-After up to its bound, and ends', () => {
    const schedule = [1000, 60_000]
    expect(scheduledDelay(schedule, 1, undefined, 3_600_000, 0.2, 0)).toBe(800)
    expect(scheduledDelay(schedule, 1, undefined, 3_600_000, 0.2, 0.999_999)).toBe(1200)
    expect(scheduledDelay(schedule, 2, undefined, 3_600_000, 0, 0.5)).toBe(60_000)
    // Never earlier than the receiver asked, never later than the bound.
    expect(scheduledDelay(schedule, 1, 120_000, 3_600_000, 0, 0.5)).toBe(120_000)
    expect(scheduledDelay(schedule, 1, 86_400_000, 3_600_000, 0, 0.5)).toBe(3_600_000)
    expect(scheduledDelay(schedule, 2, 10, 3_600_000, 0, 0.5)).toBe(60_000)
    expect(scheduledDelay(schedule, 3, undefined, 3_600_000, 0, 0.5)).toBeUndefined()
  })

  it('makes one attempt per job run and waits for the next in the delayed set, not in a worker', async () => {
    const sender = queued()
    const inspect = inspector()
    queue.receiver.answer = () => 503
    worker({ schedule: [3_600_000] })
    await sender.send({ url: queue.receiver.url, body: '{"n":1}', webhookId: 'evt_later' })

    await expect.poll(() => inspect.getDelayedCount(), { timeout: 10_000 }).toBe(1)
    expect(queue.receiver.requests).toHaveLength(1)
    const [job] = await inspect.getDelayed()
    // The next attempt is an hour away, and nothing is active meanwhile. (BullMQ counts the delay
    // from its own reading of the clock, a millisecond or so after the worker's.)
    expect(job?.delay).toBeGreaterThan(3_600_000 - 1000)
    expect(job?.delay).toBeLessThanOrEqual(3_600_000)
    expect(await inspect.getActiveCount()).toBe(0)
    expect(job?.data.history).toMatchObject([
      {
        attempt: 1,
        status: 503,
        error: { code: 'ERR_RESPONSE_STATUS' },
        startedAt: expect.any(Number),
        durationMs: expect.any(Number),
      },
    ])
    expect(job?.data.attemptsCounted).toBe(1)
  })

  it('honours Retry-After, keeps bounded excerpts of every attempt, and delivers in the end', async () => {
    const sender = queued()
    const inspect = inspector()
    let calls = 0
    queue.receiver.answer = () => (++calls < 3 ? 503 : 204)
    queue.receiver.retryAfter = '1'
    queue.receiver.responseBody = 'x'.repeat(5000)
    worker({ schedule: [5, 5, 5], maxExcerpt: 100, maxRetryAfter: 400 })
    await sender.send({ url: queue.receiver.url, body: '{}', webhookId: 'evt_retry_after' })
    await expect.poll(() => inspect.getDelayed(), { timeout: 10_000 }).toHaveLength(1)
    const [waiting] = await inspect.getDelayed()
    // Retry-After: 1 s asked, cut to maxRetryAfter; the schedule's 5 ms would have been sooner.
    expect(waiting?.delay).toBeGreaterThan(300)
    expect(waiting?.delay).toBeLessThanOrEqual(400)
    expect(waiting?.data.history?.[0]).toMatchObject({
      retryAfterMs: 1000,
      responseTruncated: true,
      responseBody: 'x'.repeat(100),
    })
    await waitUntil(() => calls === 3, 'the third attempt', 10_000)
    await expect
      .poll(() => inspect.getJobCounts('delayed', 'active', 'wait'))
      .toEqual({
        delayed: 0,
        active: 0,
        wait: 0,
      })
    expect(await sender.listDeadLetters()).toEqual([])
  })

  it('picks the schedule by event type, then destination, then the default', async () => {
    const sender = queued()
    queue.receiver.answer = () => 503
    const origin = new URL(queue.receiver.url).origin
    worker({
      schedule: [5, 5, 5, 5],
      destinations: { [origin]: { schedule: [5] } },
      eventTypes: { 'ping.once': { schedule: [] } },
    })
    await sender.send({
      url: queue.receiver.url,
      body: '{}',
      webhookId: 'evt_once',
      eventType: 'ping.once',
    })
    await sender.send({ url: queue.receiver.url, body: '{}', webhookId: 'evt_twice' })
    await expect.poll(() => sender.listDeadLetters(), { timeout: 10_000 }).toHaveLength(2)
    const attemptsOf = async (id: string) => (await sender.getDeadLetter(id))?.attempts.length
    expect(await attemptsOf('evt_once')).toBe(1)
    expect(await attemptsOf('evt_twice')).toBe(2)
    const letter = await sender.getDeadLetter('evt_twice')
    expect(letter?.reason).toBe('attempts-exhausted')
    expect(letter?.attempts.map((attempt) => attempt.attempt)).toEqual([1, 2])
  })
})

describe('durability', () => {
  it('keeps queued deliveries and scheduled retries across a Redis restart with AOF', async () => {
    const sender = queued()
    const inspect = inspector()
    let failing = true
    queue.receiver.answer = () => (failing ? 503 : 204)
    const first = worker({ schedule: [1500] })
    for (let n = 0; n < 3; n++) {
      await sender.send({ url: queue.receiver.url, body: `{"n":${n}}`, webhookId: `evt_aof_${n}` })
    }
    await expect.poll(() => inspect.getDelayedCount(), { timeout: 10_000 }).toBe(3)
    await first.close(true)
    // Stored after the worker stopped: only Redis holds it.
    await sender.send({ url: queue.receiver.url, body: '{"n":3}', webhookId: 'evt_aof_3' })

    await queue.redis.restart()
    failing = false
    worker({ schedule: [1500] })
    // The three retried ones are attempted a second time, the fourth once.
    await waitUntil(() => queue.receiver.requests.length === 7, 'seven requests', 15_000)
    expect(
      queue.receiver.requests
        .slice(3)
        .map((request) => request.webhookId)
        .sort(),
    ).toEqual(['evt_aof_0', 'evt_aof_1', 'evt_aof_2', 'evt_aof_3'])
    await expect
      .poll(() => inspect.getJobCounts('delayed', 'active', 'wait', 'failed'), { timeout: 5000 })
      .toEqual({ delayed: 0, active: 0, wait: 0, failed: 0 })
    expect(await sender.listDeadLetters()).toEqual([])
  })

  it('a worker reports Redis going down, does not crash, and delivers once Redis is back', async () => {
    const sender = queued()
    const errors: Error[] = []
    worker({ onError: (error) => errors.push(error) })
    await sender.send({ url: queue.receiver.url, body: '{}', webhookId: 'evt_before_outage' })
    await waitUntil(() => queue.receiver.requests.length === 1, 'the first delivery', 10_000)

    await queue.redis.kill()
    await waitUntil(() => errors.length > 0, 'a reported connection error', 15_000)
    await queue.redis.restart()
    await sender.send({ url: queue.receiver.url, body: '{}', webhookId: 'evt_after_outage' })
    await waitUntil(() => queue.receiver.requests.length === 2, 'the delivery after', 20_000)
    expect(queue.receiver.requests[1]?.webhookId).toBe('evt_after_outage')
  }, 40_000)
})
