/**
 * What a sender uses: key sets with rotation, the signer, delivery with retries and dead letters,
 * outbound authentication per destination, and the delivery errors.
 *
 * @example
 * ```ts
 * import { createSender, createSigner, loadKeySet } from '@hookseal/core/send'
 *
 * const keys = await loadKeySet({ keys: [{ file: './signing-key.pem' }] })
 * const sender = createSender({
 *   signer: createSigner({ issuer: 'https://sender.example', keys }),
 *   onDeadLetter: (letter) => deadLetters.save(letter), // never dropped silently
 * })
 * await sender.send({ url: 'https://receiver.example/webhooks', body: '{"type":"ping"}' })
 * ```
 *
 * @packageDocumentation
 */
export { loadKeySet } from '../sign/load-key-set.js'
export { createSigner } from '../sign/create-signer.js'
export { createSender } from '../deliver/create-sender.js'
export { signStandardWebhook } from '../schemes/standard-webhooks/sign-standard-webhook.js'
export { signOAuth1Request } from '../schemes/oauth1/sign-oauth1-request.js'
export { prepareDelivery } from '../deliver/prepare-delivery.js'
export { createOAuth1Flow } from '../deliver/create-oauth1-flow.js'
export { OAuth1FlowError } from '../deliver/oauth1-flow-error.js'
export { HooksealError } from '../errors/hookseal-error.js'
export { DeliveryAttemptError, DeliveryError } from '../deliver/delivery-error.js'
export { createConnections } from '../connections/create-connections.js'
export { createMemoryConnectionStore } from '../connections/create-memory-connection-store.js'
export { ConnectionError } from '../connections/connection-error.js'

export type { SignerOptions } from '../sign/create-signer.js'
export type {
  SignStandardWebhookOptions,
  StandardWebhookHeaders,
} from '../schemes/standard-webhooks/sign-standard-webhook.js'
export type { SignOAuth1RequestOptions } from '../schemes/oauth1/sign-oauth1-request.js'
export type { SignedWebhookHeaders, Signer, SignWebhookRequest } from '../sign/types.js'
export type {
  AddSigningKeyInput,
  LoadKeySetOptions,
  PrivateKeySource,
  PublicJwks,
  PublicSigningJwk,
  SigningAlgorithm,
  SigningKeyInfo,
  SigningKeyInput,
  SigningKeySet,
  SigningKeySettings,
  SigningKeyState,
} from '../sign/key-set-types.js'
export type { DeliveryAttemptErrorCode, DeliveryErrorCode } from '../deliver/delivery-error.js'
export type { ResolveHost } from '../deliver/guarded-lookup.js'
export type { PreparedDelivery } from '../deliver/prepare-delivery.js'
export type {
  OAuth1Credentials,
  OAuth1Flow,
  OAuth1FlowOptions,
} from '../deliver/create-oauth1-flow.js'
export type { OAuth1FlowErrorCode } from '../deliver/oauth1-flow-error.js'
export type {
  ClientCredentialsOptions,
  DeadLetter,
  DeadLetterReason,
  Delivery,
  DeliveryAttempt,
  DeliveryEvent,
  DeliveryResult,
  DestinationAuth,
  DestinationSigner,
  OAuth1AuthOptions,
  Sender,
  SenderOptions,
  StandardWebhooksSignerOptions,
} from '../deliver/types.js'
export type { ConnectionErrorCode } from '../connections/connection-error.js'
export type { ConnectionEncryptionKey } from '../connections/seal-token.js'
export type {
  AuthorizationServerEndpoints,
  CompletedConnection,
  ConnectionClientAuth,
  ConnectionEvent,
  Connections,
  ConnectionsOptions,
  ConnectionStatus,
  ConnectionStore,
  PendingAuthorization,
  StoredConnection,
} from '../connections/types.js'
