export { webhookVerifier } from './webhook-verifier.js'
export { publishWebhookSender } from './publish-webhook-sender.js'
export { jwksMiddleware } from './jwks-middleware.js'
export { jwksHandler } from './jwks-handler.js'
export { connectionRoutes } from './connection-routes.js'

export type {
  WebhookState,
  WebhookVerifierMiddleware,
  WebhookVerifierOptions,
} from './webhook-verifier.js'
export type { PublishWebhookSenderOptions } from './publish-webhook-sender.js'
export type { JwksMiddlewareOptions } from './jwks-middleware.js'
export type { JwksHandlerOptions } from './jwks-handler.js'
export type { KoaConnectionRoutesOptions } from './connection-routes.js'
