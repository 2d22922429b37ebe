import { WebhookError } from '@hookseal/core'
import { createWebhookRoute, problemResponse, shouldReportRefusal } from '@hookseal/core/http'
import type { NextFunction, Request, Response } from 'express'
import { requestRawBody } from './lib/request-raw-body.js'
import type { WebhookVerifierMiddleware, WebhookVerifierOptions } from './types.js'

/**
 * Verifies a signed webhook in front of an Express route (Express 4 or 5): takes the raw body,
 * verifies it with core, then sets `req.webhook` and `req.body` (parsed JSON for JSON content
 * types, else the raw bytes as a `Buffer`) for the handlers after it. A refusal is answered as
 * `application/problem+json` with core's status and code, or passed to `next(err)` with
 * `onError: 'forward'`.
 *
 * Refusals with a 5xx status (`ERR_RAW_BODY_UNAVAILABLE`, `ERR_JWKS_UNAVAILABLE`, …) are the
 * receiver's to fix, and are also reported: emitted as `app.on('error', (err, req) => …)` events
 * when the app listens for them, else written to stderr.
 *
 * The raw body is read here, up to `limit`, when nothing has read it yet. Beside an app-wide body
 * parser, give that parser `keepRawBody` as its `verify` hook; without it the raw bytes are gone
 * and the request is refused at once with `ERR_RAW_BODY_UNAVAILABLE` (500) saying so.
 *
 * @param options The verifier and this route's settings; checked once, throwing `TypeError`.
 * @example
 * ```ts
 * app.use(express.json({ verify: keepRawBody }))
 * app.post('/webhooks', webhookVerifier({ verifier }), (req, res) => {
 *   res.json({ received: req.webhook?.id })
 * })
 * ```
 */
export function webhookVerifier(options: WebhookVerifierOptions): WebhookVerifierMiddleware {
  const route = createWebhookRoute(options)

  return function hooksealWebhookVerifier(req: Request, res: Response, next: NextFunction): void {
    requestRawBody(req, route.limit, route.bodyTimeout)
      .then((body) =>
        // rawHeaders keeps repeated headers (a second signature must be refused, not folded), and
        // originalUrl is the URL the sender signed even when the route sits in a mounted router.
        route.accept(
          { method: req.method, url: req.originalUrl, headers: req.rawHeaders, body },
          req,
        ),
      )
      .then(
        ({ webhook, body }) => {
          req.webhook = webhook
          req.body = body
          next()
        },
        (error: unknown) => {
          if (error instanceof WebhookError && !route.forwardErrors && !res.headersSent) {
            if (shouldReportRefusal(error)) reportRefusal(req, error)
            sendProblem(res, error)
          } else {
            next(error)
          }
        },
      )
  }
}

/**
 * Express has no error channel of its own besides `next(err)`, which would answer in the app's
 * format instead of core's. A refusal answered here is emitted as an `'error'` event on the app
 * the route belongs to, with the request, as Koa does; an app that does not listen for it gets it
 * on stderr, as Koa's default listener and Express's finalhandler print the errors they see,
 * rather than an `'error'` event with no listener, which would throw.
 */
function reportRefusal(req: Request, error: WebhookError): void {
  if (req.app.listenerCount('error') > 0) req.app.emit('error', error, req)
  // The stack, without the cause chain, which may hold what a remote server sent.
  else console.error(error.stack)
}

function sendProblem(res: Response, error: WebhookError): void {
  const { status, headers, payload } = problemResponse(error)
  // Node's own response API rather than res.set/res.send: Express 4 and 5 differ in the charset
  // they append to a Content-Type, and the problem document must look the same in both.
  res.statusCode = status
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  res.end(payload)
}
