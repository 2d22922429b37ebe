import { WEBHOOK_ERROR_STATUS } from './status-table.js'
import type { WebhookErrorCode, WebhookErrorStatus } from './status-table.js'

/**
 * Every refusal hookseal produces. `code` is stable and safe to branch on; `status` (and its alias
 * `statusCode`, which Fastify and Express read) comes from the one table in core.
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify(request)
 * } catch (err) {
 *   if (err instanceof WebhookError) reply.status(err.status).send({ code: err.code })
 * }
 * ```
 */
export class WebhookError extends Error {
  readonly code: WebhookErrorCode
  readonly status: WebhookErrorStatus
  /** Same as `status`, for frameworks that read `statusCode`. */
  readonly statusCode: WebhookErrorStatus
  /** True when the message is safe to show the caller (every 4xx, and setup errors); Koa reads it. */
  readonly expose: boolean

  constructor(code: WebhookErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.status = WEBHOOK_ERROR_STATUS[code]
    this.statusCode = this.status
    // A receiver whose body parser ate the raw bytes is misconfigured, and the one person who will
    // read the response while setting it up needs the fix; the message holds nothing secret.
    this.expose = this.status < 500 || code === 'ERR_RAW_BODY_UNAVAILABLE'
  }
}

/**
 * A refusal that says nothing about the webhook itself: something the receiver depends on is down.
 * Answered with 503 and `Retry-After`, so that the sender retries instead of dropping the webhook.
 */
export class RetryableWebhookError extends WebhookError {
  /** Seconds after which a retry may succeed; adapters send it as `Retry-After`. */
  readonly retryAfter: number
  /**
   * Response headers in the http-errors convention, which Express's and Koa's default error
   * handlers copy onto the response: a forwarded 503 keeps its `Retry-After`.
   */
  readonly headers: { readonly 'retry-after': string }

  constructor(
    code: 'ERR_JWKS_UNAVAILABLE' | 'ERR_KEYS_UNAVAILABLE' | 'ERR_REPLAY_STORE_UNAVAILABLE',
    message: string,
    retryAfter: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options)
    this.retryAfter = Math.max(1, Math.ceil(retryAfter))
    this.headers = { 'retry-after': String(this.retryAfter) }
  }
}

/** The sender's keys cannot be obtained: the JWKS endpoint is down and no usable key is cached. */
export class JwksUnavailableError extends RetryableWebhookError {
  constructor(message: string, retryAfter: number, options?: { cause?: unknown }) {
    super('ERR_JWKS_UNAVAILABLE', message, retryAfter, options)
  }
}
