import { WebhookError } from '@hookseal/core'
import type { VerifiedWebhook } from '@hookseal/core'
import { createWebhookRoute } from '@hookseal/core/http'
import type { WebhookRouteOptions } from '@hookseal/core/http'
import { readRequestBody } from './read-request-body.js'
import { refusalResponse } from './refusal-response.js'
import { webhookRequest } from './webhook-request.js'

/** Options of {@link withWebhook}: core's route options, with the `Request` as `authorize`'s second argument. */
export type WithWebhookOptions = WebhookRouteOptions<Request>

/** What {@link withWebhook} calls once a request is verified. */
export type WebhookHandler = (
  request: Request,
  webhook: VerifiedWebhook,
  /** Parsed JSON for JSON content types, else the raw bytes. */
  body: unknown,
) => Response | Promise<Response>

/**
 * Wraps a `(Request) => Response` handler so that it runs only for verified webhooks: the body is
 * read within `limit` and `bodyTimeout`, verified, checked by `authorize` and `validateBody`, and
 * handed over parsed. Refusals are answered with the same `application/problem+json` as every other
 * hookseal adapter, or, with `onError: 'forward'`, thrown as `WebhookError`s for the caller to
 * answer.
 *
 * @param options The verifier and the route's limits and checks; checked once, throwing `TypeError`.
 * @param handler Answers a verified webhook.
 * @example
 * ```ts
 * export default {
 *   fetch: withWebhook({ verifier }, (request, webhook, body) => {
 *     return Response.json({ received: webhook.id })
 *   }),
 * }
 * ```
 */
export function withWebhook(
  options: WithWebhookOptions,
  handler: WebhookHandler,
): (request: Request) => Promise<Response> {
  const route = createWebhookRoute(options)
  if (typeof handler !== 'function') throw new TypeError('withWebhook: handler must be a function')

  return async function handleWebhook(request: Request): Promise<Response> {
    let accepted
    try {
      const raw = await readRequestBody(request, route.limit, route.bodyTimeout)
      accepted = await route.accept(webhookRequest(request, raw), request)
    } catch (error) {
      if (error instanceof WebhookError && !route.forwardErrors) return refusalResponse(error)
      throw error
    }
    return handler(request, accepted.webhook, accepted.body)
  }
}
