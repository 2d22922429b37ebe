export { webhookVerifier } from './webhook-verifier.js'

export type {
  WebhookState,
  WebhookVerifierMiddleware,
  WebhookVerifierOptions,
} from './webhook-verifier.js'
