import type { Sender } from '@hookseal/core/send'
import type { JwksResponseOptions, SenderPublicationOptions } from '@hookseal/core/http'

/** Options of `jwksHandler`: how long receivers may cache the key set. */
export type JwksHandlerOptions = JwksResponseOptions

/**
 * Options of `publishWebhookSender`.
 *
 * @example
 * ```ts
 * publishWebhookSender(app, { sender, keys, path: '/webhooks/jwks.json', maxAge: 600 })
 * ```
 */
export type PublishWebhookSenderOptions = SenderPublicationOptions

declare global {
  // Express types `app.locals` and `res.locals` through this global namespace, in both majors'
  // type packages; `publishWebhookSender` sets the sender on both.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /**
       * The webhook sender given to `publishWebhookSender`: on `app.locals` (`req.app.locals` in
       * handlers) and on `res.locals` of every request that reaches the routes declared after it.
       */
      webhooks: Sender
    }
  }
}
