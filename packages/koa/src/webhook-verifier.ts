import { WebhookError } from '@hookseal/core'
import {
  createWebhookRoute,
  problemResponse,
  readRawBody,
  shouldReportRefusal,
} from '@hookseal/core/http'
import type { VerifiedWebhook } from '@hookseal/core'
import type { AcceptedWebhook, WebhookRouteOptions } from '@hookseal/core/http'
import type { Context, Middleware, ParameterizedContext } from 'koa'

declare module 'koa' {
  interface Request {
    /**
     * The request body: set by `webhookVerifier` once the webhook is verified (parsed JSON for JSON
     * content types, else the raw bytes as a `Buffer`), or by a body parser on other routes.
     * Declared exactly as `@koa/bodyparser` declares it, so the two merge.
     */
    body?: unknown
  }
  interface DefaultState {
    /**
     * The verified webhook, on routes behind `webhookVerifier`. Optional here because Koa's default
     * state is every route's; `@koa/router` types it as present in the handlers after the middleware
     * (see `WebhookState`).
     */
    webhook?: VerifiedWebhook
  }
}

const FIX =
  'mount the webhook router before app.use(bodyParser()), or set ctx.disableBodyParser = true ' +
  'for webhook paths in a middleware before the parser'

/** What `webhookVerifier` adds to `ctx.state` for the middleware after it. */
export interface WebhookState {
  /** The verified webhook: sender, key, algorithm, claims and id. */
  webhook: VerifiedWebhook
}

/**
 * Options of {@link webhookVerifier}. `authorize` receives the Koa context as its second argument.
 */
export type WebhookVerifierOptions = WebhookRouteOptions<Context>

/**
 * Koa middleware that verifies the webhook on one route, then sets `ctx.state.webhook` and
 * `ctx.request.body`. Typed so that `@koa/router` carries {@link WebhookState} to the handlers
 * after it, with no cast.
 */
export type WebhookVerifierMiddleware = Middleware<WebhookState>

/**
 * Verifies a signed webhook in front of a Koa route: reads the raw body itself (up to `limit`),
 * verifies it with core, then puts the webhook on `ctx.state.webhook` and the parsed body on
 * `ctx.request.body`. A refusal is answered as `application/problem+json`, or thrown (with
 * `status` and `expose`) to the app's own error handling with `onError: 'forward'`.
 *
 * Refusals with a 5xx status (`ERR_RAW_BODY_UNAVAILABLE`, `ERR_JWKS_UNAVAILABLE`, …) are also
 * emitted as `app.on('error')` events, where Koa reports errors, since they are the receiver's to fix.
 * Errors that are not `WebhookError`s (a throwing `authorize`) are always thrown.
 *
 * > [!NOTE]
 * > The raw bytes must still be unread: mount webhook routes before any app-wide body parser
 * > (`@koa/bodyparser`, `koa-body`). A request whose body another parser already took is refused at
 * > once with `ERR_RAW_BODY_UNAVAILABLE` (500), whose detail says how to fix the setup. The
 * > `ctx.request.rawBody` string such parsers keep is decoded text, not the signed bytes, and is
 * > never used.
 *
 * @param options The verifier and this route's settings; checked once, throwing `TypeError`.
 * @example
 * ```ts
 * const webhooks = new Router()
 * webhooks.post('/webhooks', webhookVerifier({ verifier }), (ctx) => {
 *   ctx.body = { received: ctx.state.webhook.id }
 * })
 * app.use(webhooks.routes()) // before app.use(bodyParser())
 * ```
 */
export function webhookVerifier(options: WebhookVerifierOptions): WebhookVerifierMiddleware {
  const route = createWebhookRoute(options)

  return async function verifyWebhook(ctx, next) {
    let accepted: AcceptedWebhook
    try {
      const body = await readRawBody(ctx.req, route.limit, {
        fix: FIX,
        timeout: route.bodyTimeout,
      })
      // rawHeaders keeps repeated headers (a second signature must be refused, not folded), and
      // originalUrl is the URL the sender signed even when the app is mounted under a prefix.
      const request = {
        method: ctx.method,
        url: ctx.originalUrl,
        headers: ctx.req.rawHeaders,
        body,
      }
      accepted = await route.accept(request, ctx)
    } catch (error) {
      if (!(error instanceof WebhookError) || route.forwardErrors) throw error
      respondWithProblem(ctx, error)
      return
    }
    ctx.state.webhook = accepted.webhook
    ctx.request.body = accepted.body
    await next()
  }
}

function respondWithProblem(ctx: ParameterizedContext, error: WebhookError): void {
  const { status, headers, payload } = problemResponse(error)
  ctx.status = status
  ctx.set(headers)
  // Bytes keep the problem+json type set above; an object would make Koa reset it to JSON.
  ctx.body = payload
  // Reported where Koa reports errors, so that it reaches the app's logs and monitoring.
  if (shouldReportRefusal(error)) ctx.app.emit('error', error, ctx)
}
