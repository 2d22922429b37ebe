import type { FastifyRequest } from 'fastify'
import type { VerifiedWebhook } from '@hookseal/core'
import type { WebhookRouteOptions } from '@hookseal/core/http'

/**
 * Options of the plugin, registered once; they are the defaults of every route that opts in.
 *
 * @example
 * ```ts
 * await app.register(hooksealFastify, { verifier, limit: 256 * 1024 })
 * ```
 */
export interface HooksealFastifyOptions extends WebhookRouteOptions<FastifyRequest> {
  /**
   * Largest body accepted on a webhook route, in bytes; larger ones get 413 `ERR_BODY_TOO_LARGE`
   * without being read. It also becomes the route's Fastify `bodyLimit`.
   * @default 1048576
   */
  limit?: number
  /**
   * `'respond'` answers refusals with `application/problem+json`; `'forward'` throws the
   * `WebhookError` (it has `statusCode`) to the app's error handler.
   * @default 'respond'
   */
  onError?: 'respond' | 'forward'
}

/**
 * One route's settings, overriding the plugin's options for that route only.
 *
 * @example
 * ```ts
 * app.post('/webhooks', { config: { webhook: { limit: 64 * 1024, authorize } } }, handler)
 * ```
 */
export type HooksealFastifyRouteOptions = Partial<HooksealFastifyOptions>

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The verified webhook on routes with `config.webhook`, set before `preValidation`; `null` on
     * every other route.
     */
    webhook: VerifiedWebhook | null
  }

  interface FastifyContextConfig {
    /**
     * Verifies this route's requests: `true` with the plugin's options, or options that override
     * them for this route.
     */
    webhook?: boolean | HooksealFastifyRouteOptions
  }
}
