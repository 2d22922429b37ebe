import { checkJwksPath, jwksResponder } from '@hookseal/core/http'
import type { SigningKeySet } from '@hookseal/core/send'
import type { JwksResponseOptions } from '@hookseal/core/http'
import type { DefaultContext, DefaultState, ExtendableContext, Middleware, Next } from 'koa'
import { respondWithJwks } from './lib/respond-with-jwks.js'

/** Options of {@link jwksMiddleware}. */
export interface JwksMiddlewareOptions extends JwksResponseOptions {
  /**
   * The path the JWKS is served at, matched exactly against `ctx.path`.
   * @default '/.well-known/jwks.json'
   */
  path?: string
}

/**
 * Koa middleware that serves the key set's public JWKS at `path` on GET and HEAD, as
 * `application/jwk-set+json` with `Cache-Control: public, max-age=<maxAge>`, and passes every other
 * request on. The set is read on every request, so a rotation shows at once.
 *
 * @param keys The sender's key set, from `loadKeySet`.
 * @param options The path and `maxAge` in seconds (default 300); checked once, throwing
 * `TypeError`.
 * @example
 * ```ts
 * app.use(jwksMiddleware(keys, { path: '/.well-known/jwks.json', maxAge: 600 }))
 * ```
 */
export function jwksMiddleware<StateT = DefaultState, ContextT = DefaultContext>(
  keys: SigningKeySet,
  options: JwksMiddlewareOptions = {},
): Middleware<StateT, ContextT> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('jwksMiddleware: options must be an object')
  }
  const path = checkJwksPath(options.path, 'jwksMiddleware')
  const render = jwksResponder(keys, { maxAge: options.maxAge })

  // Typed on Koa's base context, so that it fits apps with any state and context.
  return async function serveJwksAt(ctx: ExtendableContext, next: Next): Promise<void> {
    if (ctx.path !== path || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) {
      await next()
      return
    }
    respondWithJwks(ctx, render())
  }
}
