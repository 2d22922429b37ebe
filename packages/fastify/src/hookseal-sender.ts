import { checkSenderPublication } from '@hookseal/core/http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { jwksHandler } from './jwks-handler.js'
import type { HooksealSenderOptions } from './sender-types.js'

/**
 * Fastify plugin (Fastify 4 and 5) that sets an app up to send webhooks: it declares a GET and HEAD
 * route at `path` serving the key set's JWKS (`Cache-Control: public, max-age`), and decorates the
 * instance with the sender as `fastify.webhooks`, typed as core's `Sender` (in handlers:
 * `this.webhooks` or `request.server.webhooks`).
 *
 * Wrapped with `fastify-plugin`, so the decoration and the route belong to the scope it is
 * registered in, not a child of it. Registering it twice in one scope throws, as Fastify refuses
 * a second `webhooks` decorator.
 *
 * @example
 * ```ts
 * const keys = await loadKeySet({ keys: [{ env: 'WEBHOOK_KEY' }] })
 * const signer = createSigner({ issuer: 'https://shop.example', keys })
 * const sender = createSender({ signer, onDeadLetter: (letter) => deadLetters.put(letter) })
 *
 * await app.register(hooksealSender, { sender, keys }) // GET /.well-known/jwks.json
 * app.post('/orders/:id/ship', async function (request) {
 *   const { id } = request.params as { id: string }
 *   const body = JSON.stringify({ type: 'order.shipped', order: id })
 *   const result = await this.webhooks.send({ url: 'https://hooks.partner.example/orders', body })
 *   return { webhookId: result.webhookId }
 * })
 * ```
 */
export const hooksealSender = fp(
  async function hooksealSender(fastify: FastifyInstance, options: HooksealSenderOptions) {
    const { sender, keys, path, maxAge } = checkSenderPublication(
      options,
      '@hookseal/fastify-sender',
    )
    const serveJwks = jwksHandler(keys, { maxAge })

    fastify.decorate('webhooks', sender)
    // HEAD named explicitly, so that the route does not depend on the app's exposeHeadRoutes.
    fastify.route({ method: ['GET', 'HEAD'], url: path, handler: serveJwks })
  },
  { fastify: '4.x || 5.x', name: '@hookseal/fastify-sender' },
)
