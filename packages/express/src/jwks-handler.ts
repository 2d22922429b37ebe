import { jwksResponder } from '@hookseal/core/http'
import type { SigningKeySet } from '@hookseal/core/send'
import type { Request, RequestHandler, Response } from 'express'
import type { JwksHandlerOptions } from './sender-types.js'

/**
 * An Express handler that serves the key set's public JWKS as `application/jwk-set+json` with
 * `Cache-Control: public, max-age=<maxAge>`. The set is read on every request, so a rotation or an
 * added key shows at once. Use it to serve the JWKS from a route or router of your own;
 * `publishWebhookSender` registers it for you.
 *
 * > [!NOTE]
 * > Receivers cache the set for `maxAge` seconds: publish a `next` key at least that long before
 * > `keys.rotate()` makes it sign.
 *
 * @param keys The sender's key set, from `loadKeySet`.
 * @param options `maxAge` in seconds (default 300); checked once, throwing `TypeError`.
 * @example
 * ```ts
 * app.get('/.well-known/jwks.json', jwksHandler(keys, { maxAge: 600 }))
 * ```
 */
export function jwksHandler(keys: SigningKeySet, options: JwksHandlerOptions = {}): RequestHandler {
  const render = jwksResponder(keys, options)

  return function serveJwks(_req: Request, res: Response): void {
    const { status, headers, body } = render()
    // Node's own response API rather than res.set/res.send: Express 4 and 5 differ in the charset
    // they append to a Content-Type, and the JWKS must be served alike by both.
    res.statusCode = status
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
    res.end(body)
  }
}
