import { checkSenderPublication } from '@hookseal/core/http'
import type { Application, NextFunction, Request, Response } from 'express'
import { jwksHandler } from './jwks-handler.js'
import type { PublishWebhookSenderOptions } from './sender-types.js'

function invalid(message: string): TypeError {
  return new TypeError(`publishWebhookSender: ${message}`)
}

/**
 * Sets an Express app (4 or 5) up to send webhooks: serves the key set's JWKS at `path` (GET and
 * HEAD, with `Cache-Control: public, max-age`), and hands the sender to handlers as
 * `req.app.locals.webhooks` and `res.locals.webhooks`, typed as core's `Sender`.
 *
 * Call it before declaring the routes that send: `res.locals.webhooks` is set by a middleware
 * that only those routes pass through. It is the one to use in routers and mounted sub-apps,
 * whose `req.app` is the sub-app with `locals` of its own.
 *
 * @param app The Express application.
 * @param options The sender, its key set, and the JWKS route; checked once, throwing `TypeError`.
 * @example
 * ```ts
 * const keys = await loadKeySet({ keys: [{ env: 'WEBHOOK_KEY' }] })
 * const signer = createSigner({ issuer: 'https://shop.example', keys })
 * const sender = createSender({ signer, onDeadLetter: (letter) => deadLetters.put(letter) })
 *
 * const app = express()
 * publishWebhookSender(app, { sender, keys }) // GET /.well-known/jwks.json
 * app.post('/orders/:id/ship', (req, res, next) => {
 *   const body = JSON.stringify({ type: 'order.shipped', order: req.params.id })
 *   req.app.locals.webhooks
 *     .send({ url: 'https://hooks.partner.example/orders', body })
 *     .then((result) => res.json({ webhookId: result.webhookId }), next)
 * })
 * ```
 */
export function publishWebhookSender(app: Application, options: PublishWebhookSenderOptions): void {
  if (typeof app?.use !== 'function' || typeof app.locals !== 'object' || app.locals === null) {
    throw invalid('app must be an Express application')
  }
  const { sender, keys, path, maxAge } = checkSenderPublication(options, 'publishWebhookSender')
  const serveJwks = jwksHandler(keys, { maxAge })

  app.locals.webhooks = sender
  app.use(function exposeWebhookSender(_req: Request, res: Response, next: NextFunction): void {
    res.locals.webhooks = sender
    next()
  })
  app.get(path, serveJwks)
}
