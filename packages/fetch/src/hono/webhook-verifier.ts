import { WebhookError } from '@hookseal/core'
import type { VerifiedWebhook } from '@hookseal/core'
import { createWebhookRoute } from '@hookseal/core/http'
import type { WebhookRouteOptions } from '@hookseal/core/http'
import type { Context, MiddlewareHandler } from 'hono'
import { readRequestBody } from '../read-request-body.js'
import { refusalResponse } from '../refusal-response.js'
import { webhookRequest } from '../webhook-request.js'

/** What `webhookVerifier` sets on the context: `c.get('webhook')`, `c.get('webhookBody')`. */
export interface WebhookVariables {
  /** The verified sender, scheme and claims. */
  webhook: VerifiedWebhook
  /** The verified body: parsed JSON for JSON content types, else the raw bytes. */
  webhookBody: unknown
}

/** Options of `webhookVerifier`: core's route options, with Hono's context as `authorize`'s second argument. */
export type WebhookVerifierOptions = WebhookRouteOptions<Context>

/**
 * A Hono middleware that lets a request through only as a verified webhook: it reads the raw body
 * within `limit` and `bodyTimeout`, verifies it, runs `authorize` and `validateBody`, and sets
 * `c.get('webhook')` and `c.get('webhookBody')`. Refusals are answered with the same
 * `application/problem+json` as every other hookseal adapter, or, with `onError: 'forward'`,
 * thrown as `WebhookError`s to `app.onError`.
 *
 * > [!NOTE]
 * > Put it before anything that reads the body (`c.req.json()`, a validator): the signature covers
 * > the exact bytes.
 *
 * @param options The verifier and the route's limits and checks; checked once, throwing `TypeError`.
 * @example
 * ```ts
 * app.post('/webhooks', webhookVerifier({ verifier }), (c) => {
 *   return c.json({ received: c.get('webhook').id })
 * })
 * ```
 */
export function webhookVerifier(
  options: WebhookVerifierOptions,
): MiddlewareHandler<{ Variables: WebhookVariables }> {
  const route = createWebhookRoute(options)

  return async function verifyWebhook(c, next) {
    let accepted
    try {
      const raw = await readRequestBody(c.req.raw, route.limit, route.bodyTimeout)
      accepted = await route.accept(webhookRequest(c.req.raw, raw), c)
    } catch (error) {
      if (error instanceof WebhookError && !route.forwardErrors) return refusalResponse(error)
      throw error
    }
    c.set('webhook', accepted.webhook)
    c.set('webhookBody', accepted.body)
    await next()
  }
}
