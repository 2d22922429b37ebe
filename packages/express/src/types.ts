import type { VerifiedWebhook } from '@hookseal/core'
import type { WebhookRouteOptions } from '@hookseal/core/http'
import type { NextFunction, Request, Response } from 'express'

/**
 * Options of `webhookVerifier`: core's route options, with the Express request as `authorize`'s
 * second argument.
 */
export interface WebhookVerifierOptions extends WebhookRouteOptions<Request> {
  /**
   * Largest body accepted, in bytes; a larger one gets 413 (`ERR_BODY_TOO_LARGE`) by its
   * Content-Length, or as soon as the bytes read pass it. Where an app-wide parser with
   * `keepRawBody` read the body, that parser's own `limit` applies first.
   * @default 1048576
   */
  limit?: number
  /**
   * Milliseconds the whole body may take to arrive; a slower one gets 408 (`ERR_BODY_TIMEOUT`) with
   * `Connection: close`. Where an app-wide parser with `keepRawBody` read the body, that parser
   * read it without such a bound.
   * @default 30000
   */
  bodyTimeout?: number
  /**
   * `'respond'` answers refusals with `application/problem+json`; `'forward'` passes the
   * `WebhookError` to `next(err)` for the app's error handler. Errors that are not `WebhookError`s
   * always go to `next(err)`.
   * @default 'respond'
   */
  onError?: 'respond' | 'forward'
}

/**
 * The middleware `webhookVerifier` returns: an Express request handler, generic so that the route's
 * own typing (route parameters, a typed `req.body` or `res.locals`) carries through to the
 * handlers after it instead of being widened by the middleware.
 */
export interface WebhookVerifierMiddleware {
  <
    P extends Request['params'],
    ResBody,
    ReqBody,
    ReqQuery extends Request['query'],
    // Express's own constraint: `Response['locals']` already holds the app's `Express.Locals`, which
    // a handler's own locals type need not repeat.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    Locals extends Record<string, any>,
  >(
    req: Request<P, ResBody, ReqBody, ReqQuery, Locals>,
    res: Response<ResBody, Locals>,
    next: NextFunction,
  ): void
}

declare global {
  // Express types its request through this global namespace, in both majors' type packages.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * The verified webhook, set by `webhookVerifier` before the handlers after it run. Optional
       * because Express types every route's request alike: it is undefined on routes the
       * middleware does not protect.
       */
      webhook?: VerifiedWebhook
    }
  }
}
