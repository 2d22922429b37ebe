export { webhookVerifier } from './webhook-verifier.js'
export { keepRawBody } from './keep-raw-body.js'
export { publishWebhookSender } from './publish-webhook-sender.js'
export { jwksHandler } from './jwks-handler.js'
export { connectionRoutes } from './connection-routes.js'

export type { WebhookVerifierMiddleware, WebhookVerifierOptions } from './types.js'
export type { JwksHandlerOptions, PublishWebhookSenderOptions } from './sender-types.js'
