import { randomUUID } from 'node:crypto'
import { isWebhookId } from '../sign/webhook-id.js'
import { normalizeHeaders } from './normalize-headers.js'
import type { DeadLetter, Delivery } from './types.js'

/** A delivery checked once, with its body fixed as the bytes every attempt signs and sends. */
export interface PreparedDelivery {
  readonly url: string | URL
  readonly method: 'POST' | 'PUT'
  readonly bytes: Buffer
  readonly headers: Readonly<Record<string, string>>
  readonly webhookId: string
  readonly audience: string | undefined
  /** The customer whose connection authenticates the delivery, if any. */
  readonly connection: string | undefined
  /** The delivery as a dead letter holds it, ready to be sent again. */
  readonly record: (url: string) => DeadLetter['delivery']
}

/**
 * Checks one delivery's shape and fixes its body: a byte body is copied, so that a caller reusing
 * its buffer cannot change what later attempts sign and send.
 *
 * @throws TypeError for a non-object, a `url` that is neither a string nor a URL, a method other
 *   than POST or PUT, a body that is not a string or bytes, a bad header, an empty `audience`, or a
 *   `webhookId` that is not 1–256 printable ASCII characters without spaces.
 *
 * @example
 * ```ts
 * const prepared = prepareDelivery({ url: 'https://hooks.partner.example/in', body: '{}' })
 * prepared.webhookId // a fresh UUID
 * ```
 */
export function prepareDelivery(delivery: Delivery): PreparedDelivery {
  if (typeof delivery !== 'object' || delivery === null) {
    throw new TypeError('send needs a delivery object')
  }
  const { url, method = 'POST', body, audience, webhookId = randomUUID() } = delivery
  if (typeof url !== 'string' && !(url instanceof URL)) {
    throw new TypeError('url must be a string or a URL')
  }
  if (method !== 'POST' && method !== 'PUT') throw new TypeError("method must be 'POST' or 'PUT'")
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw new TypeError('body must be a string, a Buffer or a Uint8Array')
  }
  if (audience !== undefined && (typeof audience !== 'string' || audience === '')) {
    throw new TypeError('audience must be a non-empty string')
  }
  if (!isWebhookId(webhookId)) {
    throw new TypeError('webhookId must be 1 to 256 printable ASCII characters without spaces')
  }
  const { connection } = delivery
  if (connection !== undefined && (typeof connection !== 'string' || connection === '')) {
    throw new TypeError('connection must be a non-empty string (a customer id)')
  }
  const headers = normalizeHeaders(delivery.headers, 'headers')
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)
  // A string body stays a string in the letter; bytes stay the private copy.
  const kept = typeof body === 'string' ? body : bytes

  return {
    url,
    method,
    bytes,
    headers,
    webhookId,
    audience,
    connection,
    record: (href) => ({
      url: href,
      method,
      body: kept,
      headers,
      webhookId,
      ...(audience === undefined ? {} : { audience }),
      ...(connection === undefined ? {} : { connection }),
    }),
  }
}
