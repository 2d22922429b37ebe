import { jwksResponder } from '@hookseal/core/http'
import type { SigningKeySet } from '@hookseal/core/send'
import type { JwksResponseOptions } from '@hookseal/core/http'
import type { DefaultContext, DefaultState, ExtendableContext, Middleware } from 'koa'
import { respondWithJwks } from './lib/respond-with-jwks.js'

/** Options of {@link jwksHandler}: how long receivers may cache the key set. */
export type JwksHandlerOptions = JwksResponseOptions

/**
 * A Koa route handler that serves the key set's public JWKS as `application/jwk-set+json` with
 * `Cache-Control: public, max-age=<maxAge>`, read afresh on every request so that a rotation shows
 * at once. It answers every request it gets: give it a route, as with `@koa/router`. For an app
 * without a router, `jwksMiddleware` matches the path itself.
 *
 * @param keys The sender's key set, from `loadKeySet`.
 * @param options `maxAge` in seconds (default 300); checked once, throwing `TypeError`.
 * @example
 * ```ts
 * router.get('/.well-known/jwks.json', jwksHandler(keys, { maxAge: 600 }))
 * ```
 */
export function jwksHandler<StateT = DefaultState, ContextT = DefaultContext>(
  keys: SigningKeySet,
  options: JwksHandlerOptions = {},
): Middleware<StateT, ContextT> {
  const render = jwksResponder(keys, options)

  // Typed on Koa's base context, so that it fits apps and routers with any state and context.
  return function serveJwks(ctx: ExtendableContext): void {
    respondWithJwks(ctx, render())
  }
}
