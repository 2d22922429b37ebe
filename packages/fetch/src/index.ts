/**
 * hookseal for every runtime that speaks `Request` and `Response`: Next.js route handlers, Bun,
 * Deno, Cloudflare Workers, and Hono (its middleware is in `@hookseal/fetch/hono`).
 *
 * @packageDocumentation
 */
export { verifyRequest } from './verify-request.js'
export { withWebhook } from './with-webhook.js'
export { refusalResponse } from './refusal-response.js'
export { jwksHandler } from './jwks-handler.js'

export type { VerifiedRequest, VerifyRequestOptions } from './verify-request.js'
export type { WebhookHandler, WithWebhookOptions } from './with-webhook.js'
export type { JwksHandlerOptions } from './jwks-handler.js'
