import { createConnectionRoutes } from '@hookseal/core/http'
import type { ConnectionRouteResponse, ConnectionRoutesOptions } from '@hookseal/core/http'
import type { Connections } from '@hookseal/core/send'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** Options of {@link connectionRoutes}; `authorize` and `onConnected` receive the Fastify request. */
export interface FastifyConnectionRoutesOptions extends ConnectionRoutesOptions<FastifyRequest> {
  connections: Connections
}

function send(reply: FastifyReply, answer: ConnectionRouteResponse): FastifyReply {
  return reply.code(answer.status).headers(answer.headers).send(answer.payload)
}

/**
 * Fastify plugin (4 and 5) declaring a customer's OAuth 2 connection routes in the scope it is
 * registered in (so `prefix` applies): `GET /connect/:customer` redirects the super-user to the
 * authorization server, `GET /callback` completes the connection. Refusals (bad or replayed
 * `state`, the server's `error=`, a missing `code`, `authorize` saying no) are answered as
 * `application/problem+json` with a 4xx.
 *
 * @example
 * ```ts
 * await app.register(connectionRoutes, {
 *   prefix: '/connections', // the redirectUri is <origin>/connections/callback
 *   connections,
 *   authorize: (customer, request) => request.user?.customer === customer,
 * })
 * ```
 */
export async function connectionRoutes(
  fastify: FastifyInstance,
  options: FastifyConnectionRoutesOptions,
): Promise<void> {
  const { connections, ...routeOptions } = options
  const routes = createConnectionRoutes<FastifyRequest>(connections, routeOptions)

  fastify.get('/connect/:customer', async (request, reply) => {
    const { customer } = request.params as { customer: string }
    return send(reply, await routes.connect(customer, request))
  })
  fastify.get('/callback', async (request, reply) => {
    return send(reply, await routes.callback(request.url, request))
  })
}
