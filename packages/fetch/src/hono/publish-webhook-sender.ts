import { checkSenderPublication } from '@hookseal/core/http'
import type { SenderPublicationOptions } from '@hookseal/core/http'
import type { Sender } from '@hookseal/core/send'
import type { Hono } from 'hono'
import { jwksHandler } from '../jwks-handler.js'

/** What `publishWebhookSender` sets on the context: `c.get('webhooks')`. */
export interface WebhookSenderVariables {
  /** The webhook sender given to `publishWebhookSender`. */
  webhooks: Sender
}

/** Options of `publishWebhookSender`: the sender, its key set, and the JWKS route. */
export type PublishWebhookSenderOptions = SenderPublicationOptions

/**
 * Sets a Hono app up to send webhooks: serves the key set's JWKS at `path` (default
 * `/.well-known/jwks.json`, with `Cache-Control: public, max-age`), and hands the sender to the
 * handlers declared after it as `c.get('webhooks')`.
 *
 * > [!NOTE]
 * > Delivery (`createSender`) needs Node: use this on Hono under Node (`@hono/node-server`).
 *
 * @param app The Hono app; call this before declaring the routes that send.
 * @param options The sender, its key set, and the JWKS route; checked once, throwing `TypeError`.
 * @example
 * ```ts
 * const app = new Hono<{ Variables: WebhookSenderVariables }>()
 * publishWebhookSender(app, { sender, keys })
 * app.post('/orders/:id/ship', async (c) => {
 *   const body = JSON.stringify({ type: 'order.shipped', order: c.req.param('id') })
 *   const result = await c.get('webhooks').send({ url: 'https://hooks.partner.example/orders', body })
 *   return c.json({ webhookId: result.webhookId })
 * })
 * ```
 */
export function publishWebhookSender<App extends Hono<{ Variables: WebhookSenderVariables }>>(
  app: App,
  options: PublishWebhookSenderOptions,
): void {
  if (typeof app?.use !== 'function' || typeof app.get !== 'function') {
    throw new TypeError('publishWebhookSender: app must be a Hono app')
  }
  const { sender, keys, path, maxAge } = checkSenderPublication(options, 'publishWebhookSender')
  const serveJwks = jwksHandler(keys, { maxAge })

  app.get(path, (c) => serveJwks(c.req.raw))
  app.use(async function exposeWebhookSender(c, next) {
    c.set('webhooks', sender)
    await next()
  })
}
