import { WebhookError } from '../errors/webhook-error.js'
import type { VerifiedWebhook, Verifier, WebhookRequest } from '../verify/types.js'
import { readHeaderValues } from '../verify/read-header-values.js'
import { parseWebhookBody } from './parse-webhook-body.js'
import { DEFAULT_BODY_TIMEOUT } from './read-raw-body.js'

/** Options every adapter takes for one protected route; `Req` is the framework's request. */
export interface WebhookRouteOptions<Req = unknown> {
  /** The verifier from `createVerifier`. */
  verifier: Verifier
  /** Largest body accepted, in bytes; larger ones get 413 without being read. @default 1048576 */
  limit?: number
  /**
   * Milliseconds the whole body may take to arrive; a slower one gets 408 (`ERR_BODY_TIMEOUT`) and
   * the connection is closed without reading the rest.
   * @default 30000
   */
  bodyTimeout?: number
  /**
   * Decides whether this verified sender may call this route or send this event; false answers 403
   * (`ERR_WEBHOOK_FORBIDDEN`). Runs after authentication.
   */
  authorize?: (webhook: VerifiedWebhook, request: Req) => boolean | Promise<boolean>
  /**
   * Decides whether the parsed body is what the route accepts; false answers 400
   * (`ERR_BODY_INVALID`). Runs after authentication and `authorize`.
   */
  validateBody?: (body: unknown, webhook: VerifiedWebhook) => boolean | Promise<boolean>
  /**
   * `'respond'` answers refusals itself with `application/problem+json`; `'forward'` hands the
   * `WebhookError` to the app's own error handling (Express `next(err)`, a Koa throw, Fastify's
   * error handler).
   * @default 'respond'
   */
  onError?: 'respond' | 'forward'
}

/** A protected route's settings, checked once, and its framework-free request handling. */
export interface WebhookRoute<Req = unknown> {
  readonly limit: number
  /** Milliseconds the body may take; pass it to `readRawBody` as `timeout`. */
  readonly bodyTimeout: number
  readonly forwardErrors: boolean
  /**
   * Verifies a request whose raw body has been read, then parses the body, runs `authorize` and
   * `validateBody`. Resolves to what the adapter attaches; rejects with a `WebhookError`.
   */
  accept(request: WebhookRequest, frameworkRequest: Req): Promise<AcceptedWebhook>
}

export interface AcceptedWebhook {
  webhook: VerifiedWebhook
  /** Parsed JSON for JSON content types, else the raw bytes. */
  body: unknown
}

/**
 * Normalises an adapter's options once and returns the request handling all adapters share, so that
 * no verification logic, status or default lives in an adapter.
 *
 * @example
 * ```ts
 * const route = createWebhookRoute({ verifier, limit: 64 * 1024 })
 * const { webhook, body } = await route.accept({ method, url, headers, body: raw }, req)
 * ```
 */
export function createWebhookRoute<Req>(options: WebhookRouteOptions<Req>): WebhookRoute<Req> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('webhook route: options must be an object')
  }
  const {
    verifier,
    limit = 1024 * 1024,
    bodyTimeout = DEFAULT_BODY_TIMEOUT,
    authorize,
    validateBody,
    onError = 'respond',
  } = options
  if (typeof verifier?.verify !== 'function') {
    throw new TypeError('webhook route: verifier is required (from createVerifier)')
  }
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new TypeError('webhook route: limit must be a positive number of bytes')
  }
  if (!Number.isSafeInteger(bodyTimeout) || bodyTimeout < 1) {
    throw new TypeError('webhook route: bodyTimeout must be a positive number of milliseconds')
  }
  if (authorize !== undefined && typeof authorize !== 'function') {
    throw new TypeError('webhook route: authorize must be a function')
  }
  if (validateBody !== undefined && typeof validateBody !== 'function') {
    throw new TypeError('webhook route: validateBody must be a function')
  }
  if (onError !== 'respond' && onError !== 'forward') {
    throw new TypeError("webhook route: onError must be 'respond' or 'forward'")
  }

  return {
    limit,
    bodyTimeout,
    forwardErrors: onError === 'forward',
    async accept(request, frameworkRequest) {
      const webhook = await verifier.verify(request)
      if (authorize !== undefined && !(await authorize(webhook, frameworkRequest))) {
        throw new WebhookError('ERR_WEBHOOK_FORBIDDEN', 'this sender may not call this route')
      }
      const [contentType] = readHeaderValues(request.headers, 'content-type')
      const body = parseWebhookBody(request.body, contentType)
      if (validateBody !== undefined && !(await validateBody(body, webhook))) {
        throw new WebhookError('ERR_BODY_INVALID', 'the body is not what this route accepts')
      }
      return { webhook, body }
    },
  }
}
