import type { DeadLetter, DeadLetterReason, DeliveryAttempt } from '@hookseal/core/send'
import type { RedisClient } from 'bullmq'
import { decodeDelivery, encodeDelivery } from './queue-job.js'
import type { QueuedDeliveryData } from './queue-job.js'

/**
 * A dead letter as Redis keeps it: everything core's `DeadLetter` holds, its error as plain data,
 * and when it was stored.
 */
export interface StoredDeadLetter {
  readonly webhookId: string
  /** The delivery as asked for: `replayDeadLetter` re-enqueues exactly this. */
  readonly delivery: DeadLetter['delivery'] & {
    readonly eventType?: string
    readonly orderingKey?: string
  }
  readonly reason: DeadLetterReason
  /** Every request made, in order. */
  readonly attempts: readonly DeliveryAttempt[]
  /** The last attempt's error. */
  readonly error: {
    readonly code: string
    readonly message: string
    readonly retryable: boolean
    readonly status?: number
  }
  /** When the worker stored it, in ms since the epoch. */
  readonly deadLetteredAt: number
}

interface StoredJson {
  readonly job: QueuedDeliveryData
  readonly reason: DeadLetterReason
  readonly attempts: readonly DeliveryAttempt[]
  readonly error: StoredDeadLetter['error']
  readonly deadLetteredAt: number
}

/**
 * The commands the dead-letter store sends. BullMQ's connections are ioredis clients, but its own
 * type lists only the commands BullMQ uses; naming these few here keeps ioredis itself out of this
 * package's dependencies.
 */
interface DeadLetterCommands {
  hset(key: string, field: string, value: string): Promise<number>
  hget(key: string, field: string): Promise<string | null>
  hmget(key: string, ...fields: string[]): Promise<Array<string | null>>
  hdel(key: string, field: string): Promise<number>
  zadd(key: string, score: number, member: string): Promise<number | string>
  zrange(key: string, start: number, stop: number): Promise<string[]>
  zrangebyscore(key: string, min: number | string, max: number | string): Promise<string[]>
  zrem(key: string, member: string): Promise<number>
}

function commands(client: RedisClient): DeadLetterCommands {
  return client as unknown as DeadLetterCommands
}

/** The Redis keys of one queue's dead letters: a hash by `webhookId` and an index by time. */
export interface DeadLetterKeys {
  readonly letters: string
  readonly order: string
}

/** The dead-letter keys next to BullMQ's own keys of the queue (`bull:<queue>:…`). */
export function deadLetterKeys(toKey: (type: string) => string): DeadLetterKeys {
  return { letters: toKey('hookseal-dead-letters'), order: toKey('hookseal-dead-letter-order') }
}

/** Stores (or replaces) the letter of one webhook. */
export async function saveDeadLetter(
  client: RedisClient,
  keys: DeadLetterKeys,
  letter: DeadLetter,
  now = Date.now(),
  extras: { eventType?: string; orderingKey?: string } = {},
): Promise<void> {
  const { webhookId } = letter.delivery
  const stored: StoredJson = {
    job: { ...encodeDelivery(letter.delivery, now), ...extras },
    reason: letter.reason,
    attempts: letter.attempts,
    error: {
      code: letter.error.code,
      message: letter.error.message,
      retryable: letter.error.retryable,
      ...(letter.error.status === undefined ? {} : { status: letter.error.status }),
    },
    deadLetteredAt: now,
  }
  const redis = commands(client)
  // The letter first: an index entry without a letter would be skipped, never the reverse.
  await redis.hset(keys.letters, webhookId, JSON.stringify(stored))
  await redis.zadd(keys.order, now, webhookId)
}

function parse(webhookId: string, json: string): StoredDeadLetter {
  const stored = JSON.parse(json) as StoredJson
  const delivery = decodeDelivery(stored.job)
  return {
    webhookId,
    delivery: {
      ...delivery,
      url: stored.job.url,
      method: stored.job.method,
      headers: stored.job.headers,
      webhookId,
      ...(stored.job.eventType === undefined ? {} : { eventType: stored.job.eventType }),
      ...(stored.job.orderingKey === undefined ? {} : { orderingKey: stored.job.orderingKey }),
    },
    reason: stored.reason,
    attempts: stored.attempts,
    error: stored.error,
    deadLetteredAt: stored.deadLetteredAt,
  }
}

/** The letters, oldest first, `limit` from `offset`. */
export async function listDeadLetters(
  client: RedisClient,
  keys: DeadLetterKeys,
  offset: number,
  limit: number,
): Promise<StoredDeadLetter[]> {
  const ids = await commands(client).zrange(keys.order, offset, offset + limit - 1)
  if (ids.length === 0) return []
  const values = await commands(client).hmget(keys.letters, ...ids)
  const letters: StoredDeadLetter[] = []
  ids.forEach((id, index) => {
    const json = values[index]
    if (typeof json === 'string') letters.push(parse(id, json))
  })
  return letters
}

/** One webhook's letter, if there is one. */
export async function getDeadLetter(
  client: RedisClient,
  keys: DeadLetterKeys,
  webhookId: string,
): Promise<StoredDeadLetter | undefined> {
  const json = await commands(client).hget(keys.letters, webhookId)
  return typeof json === 'string' ? parse(webhookId, json) : undefined
}

/** Removes one webhook's letter; true when there was one. */
export async function removeDeadLetter(
  client: RedisClient,
  keys: DeadLetterKeys,
  webhookId: string,
): Promise<boolean> {
  const redis = commands(client)
  await redis.zrem(keys.order, webhookId)
  return (await redis.hdel(keys.letters, webhookId)) === 1
}

/** The ids of the letters stored between `from` and `to` (ms since the epoch, both included). */
export async function deadLetterIdsBetween(
  client: RedisClient,
  keys: DeadLetterKeys,
  from: number | undefined,
  to: number | undefined,
): Promise<string[]> {
  return commands(client).zrangebyscore(keys.order, from ?? '-inf', to ?? '+inf')
}
