import { DeliveryError } from '@hookseal/core/send'
import type { Delivery, DeliveryResult } from '@hookseal/core/send'

/** What `POST /emit` on a sender app asks its handler to deliver. */
export interface EmitRequest {
  url: string
  event: unknown
  webhookId?: string
  audience?: string
}

/** The 200 answer of `POST /emit`: the sender's result. */
export interface Emitted {
  webhookId: string
  status: number
  attempts: number
  /** The receiver's response body. */
  response: string
}

/** The 502 answer of `POST /emit`: why the sender gave up. */
export interface NotEmitted {
  code: string
  reason: string | undefined
  /** The receiver's status on each attempt (null where it did not answer). */
  statuses: Array<number | null>
  /** The receiver's last response body. */
  response: string | undefined
}

/** The delivery an `/emit` request body asks for; throws on anything else. */
export function deliveryOf(body: unknown): Delivery {
  const { url, event, webhookId, audience } = (body ?? {}) as Partial<EmitRequest>
  if (typeof url !== 'string') throw new Error('POST /emit needs { url, event }')
  return { url, body: JSON.stringify(event), webhookId, audience }
}

export function emitted(result: DeliveryResult): Emitted {
  return {
    webhookId: result.webhookId,
    status: result.status,
    attempts: result.attempts.length,
    response: result.responseBody,
  }
}

/** The 502 answer for a delivery the sender gave up on, or undefined for any other error. */
export function notEmitted(error: unknown): NotEmitted | undefined {
  if (!(error instanceof DeliveryError)) return undefined
  return {
    code: error.code,
    reason: error.deadLetter?.reason,
    statuses: error.attempts.map((attempt) => attempt.status ?? null),
    response: error.attempts.at(-1)?.responseBody,
  }
}
