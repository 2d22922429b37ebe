import { createConnectionRoutes } from '@hookseal/core/http'
import type { ConnectionRoutesOptions } from '@hookseal/core/http'
import type { Connections } from '@hookseal/core/send'
import type { NextFunction, Request, RequestHandler, Response } from 'express'

/**
 * Express middleware (4 and 5) answering a customer's OAuth 2 connection routes below where it is
 * mounted: `GET /connect/:customer` redirects the super-user to the authorization server, `GET
 * /callback` completes the connection. Refusals (bad or replayed `state`, the server's `error=`,
 * a missing `code`, `authorize` saying no) are answered as `application/problem+json` with a 4xx.
 *
 * @param connections From `createConnections`, whose `redirectUri` is `<mount>/callback`.
 * @example
 * ```ts
 * app.use(
 *   '/connections',
 *   connectionRoutes(connections, { authorize: (customer, req) => req.user?.customer === customer }),
 * )
 * ```
 */
export function connectionRoutes(
  connections: Connections,
  options: ConnectionRoutesOptions<Request>,
): RequestHandler {
  const routes = createConnectionRoutes<Request>(connections, options)

  return function connectionRoute(req: Request, res: Response, next: NextFunction): void {
    routes.handle(req.method, req.url, req).then((answer) => {
      if (answer === undefined) return next()
      res.statusCode = answer.status
      for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value)
      res.end(answer.payload)
    }, next)
  }
}
