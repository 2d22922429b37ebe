/**
 * hookseal for Hono: the `webhookVerifier` middleware, and `publishWebhookSender` for apps that send.
 *
 * @packageDocumentation
 */
export { webhookVerifier } from './webhook-verifier.js'
export { publishWebhookSender } from './publish-webhook-sender.js'

export type { WebhookVariables, WebhookVerifierOptions } from './webhook-verifier.js'
export type {
  PublishWebhookSenderOptions,
  WebhookSenderVariables,
} from './publish-webhook-sender.js'
