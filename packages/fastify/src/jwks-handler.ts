import { jwksResponder } from '@hookseal/core/http'
import type { SigningKeySet } from '@hookseal/core/send'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { JwksHandlerOptions } from './sender-types.js'

/**
 * A Fastify route handler that serves the key set's public JWKS as `application/jwk-set+json` with
 * `Cache-Control: public, max-age=<maxAge>`, read afresh on every request so that a rotation shows
 * at once. Use it to serve the JWKS from a route of your own; the `hooksealSender` plugin declares
 * one for you.
 *
 * @param keys The sender's key set, from `loadKeySet`.
 * @param options `maxAge` in seconds (default 300); checked once, throwing `TypeError`.
 * @example
 * ```ts
 * app.get('/.well-known/jwks.json', jwksHandler(keys, { maxAge: 600 }))
 * ```
 */
export function jwksHandler(
  keys: SigningKeySet,
  options: JwksHandlerOptions = {},
): (request: FastifyRequest, reply: FastifyReply) => void {
  const render = jwksResponder(keys, options)

  return function serveJwks(_request: FastifyRequest, reply: FastifyReply): void {
    const { status, headers, body } = render()
    // Bytes rather than a string: for a string, Fastify appends `; charset=utf-8` to any JSON type,
    // and the JWKS must be served as core renders it, alike by every adapter.
    reply.code(status).headers(headers).send(Buffer.from(body))
  }
}
