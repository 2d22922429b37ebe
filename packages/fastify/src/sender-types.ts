import type { Sender } from '@hookseal/core/send'
import type { JwksResponseOptions, SenderPublicationOptions } from '@hookseal/core/http'

/** Options of `jwksHandler`: how long receivers may cache the key set. */
export type JwksHandlerOptions = JwksResponseOptions

/**
 * Options of the `hooksealSender` plugin.
 *
 * @example
 * ```ts
 * await app.register(hooksealSender, { sender, keys, path: '/webhooks/jwks.json', maxAge: 600 })
 * ```
 */
export type HooksealSenderOptions = SenderPublicationOptions

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The webhook sender given to `hooksealSender`: `fastify.webhooks`, `this.webhooks` in a
     * handler, `request.server.webhooks`.
     */
    webhooks: Sender
  }
}
