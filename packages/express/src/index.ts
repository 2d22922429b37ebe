export { webhookVerifier } from './webhook-verifier.js'
export { keepRawBody } from './keep-raw-body.js'

export type { WebhookVerifierMiddleware, WebhookVerifierOptions } from './types.js'
