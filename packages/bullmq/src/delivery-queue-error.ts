import { HooksealError } from '@hookseal/core'
/** Why a durable-delivery operation failed. */
export type DeliveryQueueErrorCode =
  /** Redis did not take the delivery within `enqueueTimeout`, or refused it: nothing is promised. */
  | 'ERR_QUEUE_UNAVAILABLE'
  /** The queued sender was closed: nothing was stored. */
  | 'ERR_QUEUE_CLOSED'
  /** Redis keeps no append-only file: a delivery it holds would not survive its restart. */
  | 'ERR_QUEUE_NOT_DURABLE'
  /** Redis refused `CONFIG GET appendonly` (disabled or not permitted): durability is unchecked. */
  | 'ERR_QUEUE_DURABILITY_UNKNOWN'

/**
 * `send` (or `replayDeadLetter`) could not reach Redis in time (`ERR_QUEUE_UNAVAILABLE`), Redis would
 * not keep what it stores (`ERR_QUEUE_NOT_DURABLE`), or the sender was closed (`ERR_QUEUE_CLOSED`).
 * The delivery may or may not have
 * been stored: calling `send` again with the same `webhookId` is safe, the queue keeps one job per
 * id and receivers de-duplicate by `Webhook-Id`.
 *
 * @example
 * ```ts
 * try {
 *   await queued.send({ url, body, webhookId: event.id })
 * } catch (err) {
 *   if (err instanceof DeliveryQueueError) return reply(503) // let the caller retry later
 *   throw err
 * }
 * ```
 */
export class DeliveryQueueError extends HooksealError {
  declare readonly code: DeliveryQueueErrorCode
  /** The event's id, when one was known. */
  readonly webhookId: string | undefined

  constructor(
    code: DeliveryQueueErrorCode,
    message: string,
    details: { webhookId?: string | undefined; cause?: unknown } = {},
  ) {
    super(code, message, details)
    this.webhookId = details.webhookId
  }
}
