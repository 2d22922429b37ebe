import { checkSenderPublication } from '@hookseal/core/http'
import type { Sender, SigningKeySet } from '@hookseal/core/send'
import type Koa from 'koa'
import { jwksMiddleware } from './jwks-middleware.js'
import type { JwksMiddlewareOptions } from './jwks-middleware.js'

declare module 'koa' {
  interface DefaultContext {
    /** The webhook sender given to `publishWebhookSender`, on every request's context. */
    webhooks: Sender
  }
}

/**
 * Options of {@link publishWebhookSender}.
 *
 * @example
 * ```ts
 * publishWebhookSender(app, { sender, keys, path: '/webhooks/jwks.json', maxAge: 600 })
 * ```
 */
export interface PublishWebhookSenderOptions extends JwksMiddlewareOptions {
  /** The sender handlers deliver with, from `createSender`; exposed as `ctx.webhooks`. */
  sender: Sender
  /** The key set the sender's signer signs with, from `loadKeySet`; its public keys are served. */
  keys: SigningKeySet
}

function invalid(message: string): TypeError {
  return new TypeError(`publishWebhookSender: ${message}`)
}

/**
 * Sets a Koa app (2 or 3) up to send webhooks: serves the key set's JWKS at `path` (GET and HEAD,
 * with `Cache-Control: public, max-age`) and puts the sender on every context as `ctx.webhooks`,
 * typed as core's `Sender`.
 *
 * The sender is set on `app.context`, so every middleware sees it wherever it is mounted; the JWKS
 * middleware is added with `app.use` at the point of the call.
 *
 * @param app The Koa application.
 * @param options The sender, its key set, and the JWKS route; checked once, throwing `TypeError`.
 * @example
 * ```ts
 * const keys = await loadKeySet({ keys: [{ env: 'WEBHOOK_KEY' }] })
 * const signer = createSigner({ issuer: 'https://shop.example', keys })
 * const sender = createSender({ signer, onDeadLetter: (letter) => deadLetters.put(letter) })
 *
 * const app = new Koa()
 * publishWebhookSender(app, { sender, keys }) // GET /.well-known/jwks.json
 * router.post('/orders/:id/ship', async (ctx) => {
 *   const body = JSON.stringify({ type: 'order.shipped', order: ctx.params.id })
 *   const result = await ctx.webhooks.send({ url: 'https://hooks.partner.example/orders', body })
 *   ctx.body = { webhookId: result.webhookId }
 * })
 * ```
 */
export function publishWebhookSender<StateT, ContextT>(
  app: Koa<StateT, ContextT>,
  options: PublishWebhookSenderOptions,
): void {
  if (typeof app?.use !== 'function' || typeof app.context !== 'object' || app.context === null) {
    throw invalid('app must be a Koa application')
  }
  const { sender, keys, path, maxAge } = checkSenderPublication(options, 'publishWebhookSender')
  const serveJwks = jwksMiddleware<StateT, ContextT>(keys, { path, maxAge })

  // On the prototype of every request's context; an app typed with a context of its own declares
  // `webhooks` there (or extends DefaultContext) to see it typed.
  Object.assign(app.context, { webhooks: sender })
  app.use(serveJwks)
}
