import { prepareDelivery } from '@hookseal/core/send'
import type { Delivery, DeliveryAttempt } from '@hookseal/core/send'
import type { Fail, TraceContext } from '@hookseal/core/http'
import type { ConnectionOptions } from 'bullmq'

/** The queue's name when none is given. */
export const DEFAULT_QUEUE_NAME = 'hookseal-deliveries'

/** The BullMQ job name of every queued delivery. */
export const DELIVERY_JOB_NAME = 'deliver'

/** A delivery as a BullMQ job stores it: plain JSON, the body's exact bytes kept. */
export interface QueuedDeliveryData {
  readonly v: 1
  readonly url: string
  readonly method: 'POST' | 'PUT'
  /** The body, UTF-8 text or base64 of the bytes. */
  readonly body: string
  readonly bodyEncoding: 'utf8' | 'base64'
  readonly headers: Readonly<Record<string, string>>
  readonly audience?: string
  readonly webhookId: string
  /** When `send` stored it, in ms since the epoch. */
  readonly enqueuedAt: number
  /** The W3C trace context of the code that enqueued it, when OpenTelemetry is in use. */
  readonly trace?: TraceContext
  /** The event's type, which may choose its retry schedule. */
  readonly eventType?: string
  /** Deliveries with the same key reach their destination one at a time, in order. */
  readonly orderingKey?: string
  /**
   * The records of the attempts made so far, oldest first, response excerpts bounded: the newest 50,
   * numbered on (`attempt`) past the cap.
   */
  readonly history?: readonly DeliveryAttempt[]
  /** Attempts that used up a wait of the schedule (a 410 does not: it disables the destination). */
  readonly attemptsCounted?: number
}

/** A delivery for the queue: core's `Delivery`, and how the queue treats it. */
export interface QueuedDelivery extends Delivery {
  /**
   * The event's type (`invoice.paid`): picks the retry schedule from the worker's `eventTypes`.
   */
  eventType?: string
  /**
   * Deliveries to the same destination with the same ordering key (a customer, an order id) are
   * attempted one at a time, in the order they were sent; one that keeps failing holds back only
   * the deliveries with its key, until it is delivered or dead-lettered.
   */
  orderingKey?: string
}

/** Checks and strips the queue's own fields; a bad one is a `TypeError`. */
export function splitQueued(delivery: QueuedDelivery): {
  delivery: Delivery
  extras: { eventType?: string; orderingKey?: string }
} {
  if (typeof delivery !== 'object' || delivery === null) {
    throw new TypeError('delivery must be an object')
  }
  const { eventType, orderingKey, ...rest } = delivery
  for (const [name, value] of [
    ['eventType', eventType],
    ['orderingKey', orderingKey],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || value === '' || value.length > 256)) {
      throw new TypeError(`${name} must be a string of 1 to 256 characters`)
    }
  }
  return {
    delivery: rest,
    extras: {
      ...(eventType === undefined ? {} : { eventType }),
      ...(orderingKey === undefined ? {} : { orderingKey }),
    },
  }
}

/** Ids BullMQ takes as custom job ids as they are. */
const PLAIN_JOB_ID = /^[A-Za-z0-9._~-]+$/

/**
 * The BullMQ job id of a webhook: the `webhookId` itself when BullMQ accepts it (no `:`, not an
 * integer), otherwise `wh~` and its base64url form. One id per event, so enqueuing the same event
 * twice keeps one job.
 */
export function jobIdOf(webhookId: string): string {
  if (PLAIN_JOB_ID.test(webhookId) && !/^\d+$/.test(webhookId) && !webhookId.startsWith('wh~')) {
    return webhookId
  }
  return `wh~${Buffer.from(webhookId, 'utf8').toString('base64url')}`
}

/** Checks a queue name once; a bad one goes to `fail`. */
export function checkQueueName(fail: Fail, queueName: unknown): string {
  if (typeof queueName !== 'string' || queueName === '' || queueName.includes(':')) {
    fail('queueName must be a non-empty string without ":"')
  }
  return queueName
}

/** Checks that a connection was given; a missing one goes to `fail`. */
export function checkConnection(fail: Fail, connection: unknown): ConnectionOptions {
  if (typeof connection !== 'object' || connection === null) {
    fail('connection must be ioredis options or an ioredis client')
  }
  return connection as ConnectionOptions
}

/**
 * Turns a delivery into job data, with a fresh `webhookId` when it has none. Core's
 * `prepareDelivery` checks its shape exactly as the worker's sender will, so that a delivery the
 * sender would refuse is refused here, before it is stored; the URL must also be absolute.
 *
 * @throws TypeError for a delivery core's sender refuses, or a relative or malformed URL.
 */
export function encodeDelivery(delivery: Delivery, now = Date.now()): QueuedDeliveryData {
  const prepared = prepareDelivery(delivery)
  const { url } = prepared
  let href: string
  if (url instanceof URL) href = url.href
  else if (URL.canParse(url)) href = new URL(url).href
  else throw new TypeError('url must be an absolute URL')
  const { method, body, headers, audience, webhookId } = prepared.record(href)
  return {
    v: 1,
    url: href,
    method,
    body: typeof body === 'string' ? body : Buffer.from(body).toString('base64'),
    bodyEncoding: typeof body === 'string' ? 'utf8' : 'base64',
    headers: { ...headers },
    ...(audience === undefined ? {} : { audience }),
    webhookId,
    enqueuedAt: now,
  }
}

/** Turns job data back into the delivery that was enqueued. @throws TypeError for foreign data */
export function decodeDelivery(data: unknown): Delivery & { webhookId: string } {
  const job = data as Partial<QueuedDeliveryData> | null
  if (
    typeof job !== 'object' ||
    job === null ||
    job.v !== 1 ||
    typeof job.url !== 'string' ||
    typeof job.body !== 'string' ||
    typeof job.webhookId !== 'string'
  ) {
    throw new TypeError('the job does not hold a queued delivery')
  }
  return {
    url: job.url,
    method: job.method === 'PUT' ? 'PUT' : 'POST',
    body:
      job.bodyEncoding === 'base64' ? new Uint8Array(Buffer.from(job.body, 'base64')) : job.body,
    headers: job.headers ?? {},
    webhookId: job.webhookId,
    ...(job.audience === undefined ? {} : { audience: job.audience }),
  }
}

/**
 * Checks, on an ioredis Cluster connection, that the prefix holds a hash tag (`{hookseal}`): the
 * queue's scripts and hookseal's own (circuit, slots, ordering, dead letters) touch several of its
 * keys at once, which Redis Cluster allows only within one slot.
 */
export function checkClusterPrefix(fail: Fail, connection: unknown, prefix: string | undefined) {
  const cluster = (connection as { isCluster?: unknown }).isCluster === true
  if (cluster && (prefix === undefined || !/\{[^}]+\}/.test(prefix))) {
    fail("on Redis Cluster, prefix must hold a hash tag, e.g. '{hookseal}'")
  }
}
