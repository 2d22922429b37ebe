import { randomUUID } from 'node:crypto'
import type { Delivery } from '@hookseal/core'
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
}

/** Printable ASCII without spaces, as core's sender asks of `webhookId`. */
const WEBHOOK_ID = /^[\x21-\x7e]{1,256}$/
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

/** Checks a queue name once. @throws TypeError */
export function checkQueueName(queueName: unknown): string {
  if (typeof queueName !== 'string' || queueName === '' || queueName.includes(':')) {
    throw new TypeError('queueName must be a non-empty string without ":"')
  }
  return queueName
}

/** Checks that a connection was given. @throws TypeError */
export function checkConnection(connection: unknown): ConnectionOptions {
  if (typeof connection !== 'object' || connection === null) {
    throw new TypeError('connection must be ioredis options or an ioredis client')
  }
  return connection as ConnectionOptions
}

/** Checks an optional positive integer option. @throws TypeError */
export function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`${name} must be a positive integer`)
  }
  return value
}

function checkHeaders(headers: unknown): Record<string, string> {
  if (headers === undefined) return {}
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new TypeError('headers must be an object of strings')
  }
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') throw new TypeError(`header ${name} must be a string`)
    out[name] = value
  }
  return out
}

/**
 * Turns a delivery into job data, with a fresh `webhookId` when it has none. The worker's sender
 * applies the full checks (URL policy, header rules); this refuses what cannot be stored.
 *
 * @throws TypeError for a delivery that is not an object, a relative or malformed URL, a method
 *   other than POST or PUT, a body that is neither a string nor bytes, non-string headers, an empty
 *   audience, or a malformed `webhookId`.
 */
export function encodeDelivery(delivery: Delivery, now = Date.now()): QueuedDeliveryData {
  if (typeof delivery !== 'object' || delivery === null) {
    throw new TypeError('send needs a delivery object')
  }
  const { url, method = 'POST', body, audience, webhookId = randomUUID() } = delivery
  let href: string
  if (url instanceof URL) href = url.href
  else if (typeof url === 'string' && URL.canParse(url)) href = new URL(url).href
  else throw new TypeError('url must be an absolute URL')
  if (method !== 'POST' && method !== 'PUT') throw new TypeError("method must be 'POST' or 'PUT'")
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw new TypeError('body must be a string, a Buffer or a Uint8Array')
  }
  if (audience !== undefined && (typeof audience !== 'string' || audience === '')) {
    throw new TypeError('audience must be a non-empty string')
  }
  if (typeof webhookId !== 'string' || !WEBHOOK_ID.test(webhookId)) {
    throw new TypeError('webhookId must be 1 to 256 printable ASCII characters without spaces')
  }
  return {
    v: 1,
    url: href,
    method,
    body: typeof body === 'string' ? body : Buffer.from(body).toString('base64'),
    bodyEncoding: typeof body === 'string' ? 'utf8' : 'base64',
    headers: checkHeaders(delivery.headers),
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
