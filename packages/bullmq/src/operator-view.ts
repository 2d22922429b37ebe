import type { DeliveryAttempt } from '@hookseal/core/send'
import type { Job, Queue } from 'bullmq'
import type { StoredDeadLetter } from './dead-letter-store.js'
import type { QueuedDeliveryData } from './queue-job.js'

/** Where a delivery is: in BullMQ's sets, or dead-lettered. */
export type DeliveryState =
  'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'dead-letter' | 'unknown'

/** One delivery as an operator inspects it; times in ms since the epoch. */
export interface DeliveryRecord {
  readonly webhookId: string
  readonly state: DeliveryState
  readonly url: string
  readonly method: 'POST' | 'PUT'
  readonly eventType?: string
  readonly orderingKey?: string
  readonly enqueuedAt?: number
  /** Every attempt made, oldest first. */
  readonly attempts: readonly DeliveryAttempt[]
  /** While delayed: when the next attempt (or the next look at its destination) is due. */
  readonly nextAttemptAt?: number
  /** In BullMQ's failed set: why, and when. */
  readonly failedReason?: string
  readonly failedAt?: number
  /** Dead-lettered: why, and when. */
  readonly deadLetterReason?: string
  readonly deadLetteredAt?: number
}

/** Which stored deliveries a bulk replay takes. */
export interface ReplayFilter {
  /** Only this destination: a URL or an origin. */
  destination?: string
  /** Only those that failed (or were dead-lettered) at or after this time, in ms since the epoch. */
  from?: number
  /** Only those that failed (or were dead-lettered) at or before this time, in ms since the epoch. */
  to?: number
}

function without<T extends Record<string, unknown>>(record: T): T {
  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key]
  return record
}

/** A job as an operator sees it. */
export function jobRecord(job: Job<QueuedDeliveryData>, state: string): DeliveryRecord {
  const { data } = job
  const known: readonly string[] = ['waiting', 'delayed', 'active', 'completed', 'failed']
  return without({
    webhookId: data.webhookId,
    state: (known.includes(state)
      ? state
      : state === 'prioritized'
        ? 'waiting'
        : 'unknown') as DeliveryState,
    url: data.url,
    method: data.method,
    eventType: data.eventType,
    orderingKey: data.orderingKey,
    enqueuedAt: data.enqueuedAt,
    attempts: data.history ?? [],
    nextAttemptAt: state === 'delayed' ? job.timestamp + job.delay : undefined,
    failedReason: state === 'failed' ? job.failedReason : undefined,
    failedAt: state === 'failed' ? job.finishedOn : undefined,
  })
}

/** A dead letter as an operator sees it. */
export function letterRecord(letter: StoredDeadLetter): DeliveryRecord {
  return without({
    webhookId: letter.webhookId,
    state: 'dead-letter' as const,
    url: letter.delivery.url,
    method: letter.delivery.method,
    eventType: letter.delivery.eventType,
    orderingKey: letter.delivery.orderingKey,
    attempts: letter.attempts,
    deadLetterReason: letter.reason,
    deadLetteredAt: letter.deadLetteredAt,
  })
}

/** Whether a delivery's URL and time fall within a filter; `destination` is an origin. */
export function matches(
  url: string,
  at: number | undefined,
  filter: { destination?: string | undefined; from?: number; to?: number },
): boolean {
  if (filter.destination !== undefined && new URL(url).origin !== filter.destination) return false
  if (filter.from !== undefined && (at === undefined || at < filter.from)) return false
  if (filter.to !== undefined && (at === undefined || at > filter.to)) return false
  return true
}

/** Every job in BullMQ's failed set that matches, read in pages. */
export async function failedJobsMatching(
  queue: Queue<QueuedDeliveryData>,
  filter: { destination?: string | undefined; from?: number; to?: number },
): Promise<Array<Job<QueuedDeliveryData>>> {
  const found: Array<Job<QueuedDeliveryData>> = []
  const page = 500
  for (let start = 0; ; start += page) {
    const jobs = await queue.getFailed(start, start + page - 1)
    for (const job of jobs) {
      if (typeof job.data?.url === 'string' && matches(job.data.url, job.finishedOn, filter)) {
        found.push(job)
      }
    }
    if (jobs.length < page) return found
  }
}
