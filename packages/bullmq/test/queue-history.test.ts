import { QueueEvents } from 'bullmq'
import { describe, expect, it } from 'vitest'
import type { DeliveryJobOutcome } from '../src/index.js'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { useQueueHarness } from './queue-harness.js'

const queue = useQueueHarness('history')
const { queued, inspector, worker } = queue

/** The cap on attempt records kept with a job and its dead letter. */
const KEPT = 50

/**
 * A worker retrying `waits` times a millisecond apart, whose circuit never pauses the destination:
 * every failure is one more attempt on record.
 */
function fastWorker(waits: number): void {
  worker({
    schedule: Array.from({ length: waits }, () => 1),
    circuit: { failureThreshold: 1000 },
  })
}

/** Queue event listeners to close at the end of the test. */
const afterThisTest: Array<() => Promise<void>> = []

async function closeEvents(): Promise<void> {
  for (const close of afterThisTest.splice(0)) await close()
}

/**
 * What the worker returned for each finished job, by job id. Finished jobs are removed from the
 * queue, so the outcome is read from the queue's events.
 */
async function outcomes(): Promise<Map<string, DeliveryJobOutcome>> {
  const events = new QueueEvents(queue.queueName, { connection: queue.connection() })
  const seen = new Map<string, DeliveryJobOutcome>()
  events.on('completed', ({ jobId, returnvalue }) => {
    seen.set(jobId, returnvalue as unknown as DeliveryJobOutcome)
  })
  await events.waitUntilReady()
  afterThisTest.push(() => events.close())
  return seen
}

describe('the attempt history kept with a job', () => {
  it(`keeps the newest ${KEPT} records past the cap, numbered on, and counts every attempt`, async () => {
    const finished = await outcomes()
    const sender = queued()
    const inspect = inspector()
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    // 51 failures, then a success held until the job's record has been read: the 51st failure
    // pushed the first record out.
    queue.receiver.answer = async () => {
      if (queue.receiver.requests.length <= KEPT + 1) return 503
      await released
      return 204
    }
    fastWorker(KEPT + 5)
    try {
      await sender.send({ url: queue.receiver.url, body: '{}', webhookId: 'evt_history_cap' })
      await waitUntil(() => queue.receiver.requests.length === KEPT + 2, 'attempt 52', 30_000)

      const job = await inspect.getJob('evt_history_cap')
      const history = job?.data.history ?? []
      // The oldest dropped, the newest (the 51st failure) kept, the count beside them still 51.
      expect(history.map((record) => record.attempt)).toEqual(
        Array.from({ length: KEPT }, (_, i) => i + 2),
      )
      expect(history.at(-1)).toMatchObject({ attempt: KEPT + 1, status: 503 })
      expect(job?.data.attemptsCounted).toBe(KEPT + 1)

      release()
      await waitUntil(() => finished.has('evt_history_cap'), 'the job to finish', 10_000)
      expect(finished.get('evt_history_cap')).toEqual({
        delivered: true,
        status: 204,
        attempts: KEPT + 2,
      })
    } finally {
      release()
      await closeEvents()
    }
  }, 60_000)

  it(`dead-letters with the newest ${KEPT} records and the number of attempts made`, async () => {
    const finished = await outcomes()
    const sender = queued()
    queue.receiver.answer = () => 503
    // KEPT waits: KEPT + 1 attempts, then the schedule has no wait left.
    fastWorker(KEPT)
    try {
      await sender.send({ url: queue.receiver.url, body: '{}', webhookId: 'evt_history_dead' })
      await waitUntil(() => finished.has('evt_history_dead'), 'the job to finish', 30_000)

      expect(queue.receiver.requests).toHaveLength(KEPT + 1)
      expect(finished.get('evt_history_dead')).toEqual({
        delivered: false,
        reason: 'attempts-exhausted',
        attempts: KEPT + 1,
      })
      const letter = await sender.getDeadLetter('evt_history_dead')
      expect(letter?.attempts.map((record) => record.attempt)).toEqual(
        Array.from({ length: KEPT }, (_, i) => i + 2),
      )
      expect(letter?.attempts.at(-1)).toMatchObject({ attempt: KEPT + 1, status: 503 })
    } finally {
      await closeEvents()
    }
  }, 60_000)
})
