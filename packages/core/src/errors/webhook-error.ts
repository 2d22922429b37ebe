import { HooksealError } from './hookseal-error.js'
import { WEBHOOK_ERROR_STATUS } from './status-table.js'
import type { WebhookErrorCode, WebhookErrorStatus } from './status-table.js'

/**
 * Refusals answered while the body is still arriving. The connection cannot carry another request
 * until the rest is read, so it is closed instead: reading on is what a sender over the limit or a
 * trickling client wants.
 */
const LEAVES_BODY_UNREAD: ReadonlySet<WebhookErrorCode> = new Set([
  'ERR_BODY_TOO_LARGE',
  'ERR_BODY_TIMEOUT',
])

/** Refusals caused by how the receiver is set up, whose messages say how to fix it. */
const SETUP_ERRORS: ReadonlySet<WebhookErrorCode> = new Set([
  'ERR_RAW_BODY_UNAVAILABLE',
  'ERR_ROUTE_UNPROTECTED',
])

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
export class WebhookError extends HooksealError {
  declare readonly code: WebhookErrorCode
  readonly status: WebhookErrorStatus
  /** Same as `status`, for frameworks that read `statusCode`. */
  readonly statusCode: WebhookErrorStatus
  /** True when the message is safe to show the caller (every 4xx, and setup errors); Koa reads it. */
  readonly expose: boolean
  /**
   * Response headers in the http-errors convention, which the default error handlers of Express,
   * Koa and Fastify copy onto the response: `Connection: close` on a refusal sent before the body
   * was read whole (413, 408), so that the rest of it is never read; `Retry-After` on a 503.
   */
  readonly headers?: Readonly<Record<string, string>>

  constructor(code: WebhookErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.status = WEBHOOK_ERROR_STATUS[code]
    this.statusCode = this.status
    // A receiver whose body parser ate the raw bytes, or whose protected route the adapter never
    // set up, is misconfigured, and the one person who will read the response while setting it up
    // needs the fix; the message holds nothing secret.
    this.expose = this.status < 500 || SETUP_ERRORS.has(code)
    if (LEAVES_BODY_UNREAD.has(code)) this.headers = { connection: 'close' }
  }
}

/**
 * A refusal that says nothing about the webhook itself: something the receiver depends on is down.
 * Answered with 503 and `Retry-After`, so that the sender retries instead of dropping the webhook.
 */
export class RetryableWebhookError extends WebhookError {
  /** Seconds after which a retry may succeed; adapters send it as `Retry-After`. */
  readonly retryAfter: number
  /** `Retry-After`, which the frameworks' default error handlers copy onto a forwarded 503. */
  override readonly headers: { readonly 'retry-after': string }

  constructor(
    code:
      | 'ERR_JWKS_UNAVAILABLE'
      | 'ERR_KEY_NOT_YET_FETCHED'
      | 'ERR_KEYS_UNAVAILABLE'
      | 'ERR_REPLAY_STORE_UNAVAILABLE',
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
