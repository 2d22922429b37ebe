import { createConnectionRoutes } from '@hookseal/core/http'
import type { ConnectionRoutesOptions } from '@hookseal/core/http'
import type { Connections } from '@hookseal/core/send'
import type { Context, Middleware, Next } from 'koa'

/** Options of {@link connectionRoutes}; `authorize` and `onConnected` receive the Koa context. */
export interface KoaConnectionRoutesOptions extends ConnectionRoutesOptions<Context> {
  /** Where the routes are mounted, e.g. `'/connections'`. @default '' */
  prefix?: string
}

/**
 * Koa middleware (2 and 3) answering a customer's OAuth 2 connection routes below `prefix`: `GET
 * <prefix>/connect/:customer` redirects the super-user to the authorization server, `GET
 * <prefix>/callback` completes the connection. Refusals (bad or replayed `state`, the server's
 * `error=`, a missing `code`, `authorize` saying no) are answered as `application/problem+json`
 * with a 4xx. Other requests pass to the next middleware.
 *
 * @param connections From `createConnections`, whose `redirectUri` is `<prefix>/callback`.
 * @example
 * ```ts
 * app.use(
 *   connectionRoutes(connections, {
 *     prefix: '/connections',
 *     authorize: (customer, ctx) => ctx.state.user?.customer === customer,
 *   }),
 * )
 * ```
 */
export function connectionRoutes(
  connections: Connections,
  options: KoaConnectionRoutesOptions,
): Middleware {
  const { prefix = '', ...routeOptions } = options ?? {}
  if (typeof prefix !== 'string' || (prefix !== '' && !/^\/.*[^/]$/.test(prefix))) {
    throw new TypeError("connectionRoutes: prefix must start with '/' and not end with one")
  }
  const routes = createConnectionRoutes<Context>(connections, routeOptions)

  return async function connectionRoute(ctx: Context, next: Next): Promise<void> {
    const { url } = ctx
    const below = url.startsWith(prefix) ? url.slice(prefix.length) : undefined
    const answer =
      below === undefined || !/^(\/|$)/.test(below.split('?', 1)[0] ?? '')
        ? undefined
        : await routes.handle(ctx.method, below, ctx)
    if (answer === undefined) return next()
    ctx.body = answer.payload
    ctx.status = answer.status
    // Koa gives a Buffer body a Content-Type of its own; the answer's headers are the whole truth.
    ctx.remove('content-type')
    ctx.set(answer.headers)
  }
}
