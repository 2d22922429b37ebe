import { HooksealError } from '../errors/hookseal-error.js'
import type { DeadLetter, DeliveryAttempt } from './types.js'

/** Why {@link Sender.send} rejected. */
export type DeliveryErrorCode =
  /** Every attempt failed, or one failed in a way retrying cannot fix; the webhook was dead-lettered. */
  | 'ERR_DELIVERY_FAILED'
  /** The URL is not a destination this sender may reach; nothing was signed, sent or dead-lettered. */
  | 'ERR_DESTINATION_REFUSED'

/** Why one attempt failed. */
export type DeliveryAttemptErrorCode =
  /** The receiver answered, but not with a 2xx (a 3xx included: redirects are not followed). */
  | 'ERR_RESPONSE_STATUS'
  /** No complete response within the attempt's timeout. */
  | 'ERR_TIMEOUT'
  /** Name resolution, connection or TLS failed, or the connection broke. */
  | 'ERR_NETWORK'
  /** The host name resolved to an address the SSRF guard refuses. */
  | 'ERR_ADDRESS_FORBIDDEN'
  /** The destination's OAuth2 token endpoint gave no usable token. */
  | 'ERR_TOKEN_UNAVAILABLE'
  /** The signer failed. */
  | 'ERR_SIGNING_FAILED'
  /** The customer's connection was revoked by the authorization server: the customer must connect again. */
  | 'ERR_CONNECTION_REVOKED'
  /** The delivery names a customer that has no connection. */
  | 'ERR_CONNECTION_NOT_FOUND'

/**
 * One attempt's failure: a non-2xx status, a timeout, a network or TLS error, a refused address, a
 * token endpoint that gave no token, or a signer that threw. `retryable` says whether a later
 * attempt may succeed.
 */
export class DeliveryAttemptError extends HooksealError {
  declare readonly code: DeliveryAttemptErrorCode
  readonly retryable: boolean
  /** The receiver's (or token endpoint's) HTTP status, when it answered. */
  readonly status: number | undefined

  constructor(
    code: DeliveryAttemptErrorCode,
    message: string,
    options: { retryable: boolean; status?: number; cause?: unknown },
  ) {
    super(code, message, options)
    this.retryable = options.retryable
    this.status = options.status
  }
}

/**
 * Why {@link Sender.send} rejected: `ERR_DELIVERY_FAILED` once the webhook was dead-lettered (the
 * letter is on `deadLetter`, its last attempt's error is the `cause`), or `ERR_DESTINATION_REFUSED`
 * when the URL broke the sender's policy and nothing was sent.
 *
 * @example
 * ```ts
 * try {
 *   await sender.send({ url, body })
 * } catch (err) {
 *   if (err instanceof DeliveryError && err.code === 'ERR_DESTINATION_REFUSED') unregister(url)
 * }
 * ```
 */
export class DeliveryError extends HooksealError {
  declare readonly code: DeliveryErrorCode
  /** The event's id; absent only when a refused delivery named none. */
  readonly webhookId: string | undefined
  /** Every request made, in order; empty for a refused destination. */
  readonly attempts: readonly DeliveryAttempt[]
  /** What was handed to `onDeadLetter`; absent for a refused destination. */
  readonly deadLetter: DeadLetter | undefined
  /**
   * What `onDeadLetter` threw or rejected with, if it did: the letter may then be stored nowhere but
   * on this error.
   */
  readonly deadLetterError: unknown

  constructor(
    code: DeliveryErrorCode,
    message: string,
    details: {
      webhookId?: string | undefined
      deadLetter?: DeadLetter
      deadLetterError?: unknown
      cause?: unknown
    } = {},
  ) {
    super(code, message, details)
    this.webhookId = details.webhookId
    this.deadLetter = details.deadLetter
    this.attempts = details.deadLetter?.attempts ?? []
    this.deadLetterError = details.deadLetterError
  }
}
