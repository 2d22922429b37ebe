export { createVerifier } from './verify/create-verifier.js'
export { signStandardWebhook } from './schemes/standard-webhooks/sign-standard-webhook.js'
export { parseSignatureHeader as parseStandardWebhooksSignature } from './schemes/standard-webhooks/parse-signature-header.js'
export { signOAuth1Request } from './schemes/oauth1/sign-oauth1-request.js'
export { parseOAuthAuthorization } from './schemes/oauth1/parse-authorization-header.js'
export { normalizeParameters as normalizeOAuth1Parameters } from './schemes/oauth1/normalize-parameters.js'
export {
  baseStringUri as oauth1BaseStringUri,
  signatureBaseString as oauth1SignatureBaseString,
} from './schemes/oauth1/signature-base-string.js'
export { percentEncode as oauth1PercentEncode } from './schemes/oauth1/percent-encode.js'
export { oauth1Signature } from './schemes/oauth1/oauth1-signature.js'
export { createPlaidKeySource } from './schemes/jwt/create-plaid-key-source.js'
export { createRemoteKeySet } from './jwks/create-remote-key-set.js'
export { createMemoryReplayStore } from './replay/create-memory-replay-store.js'
export { createWebhookRoute } from './http/create-webhook-route.js'
export { bodyTooLarge, readRawBody, rawBodyUnavailable } from './http/read-raw-body.js'
export { problemResponse } from './http/problem-response.js'
export { jwksResponder } from './http/jwks-response.js'
export {
  checkJwksPath,
  checkSenderPublication,
  DEFAULT_JWKS_PATH,
} from './http/sender-publication.js'
export {
  WebhookError,
  RetryableWebhookError,
  JwksUnavailableError,
} from './errors/webhook-error.js'
export { WEBHOOK_ERROR_STATUS } from './errors/status-table.js'
export { SUPPORTED_ALGORITHMS } from './lib/algorithms.js'
export { loadKeySet } from './sign/load-key-set.js'
export { createSigner } from './sign/create-signer.js'
export { createSender } from './deliver/create-sender.js'
export { prepareDelivery } from './deliver/prepare-delivery.js'
export { DeliveryAttemptError, DeliveryError } from './deliver/delivery-error.js'

export type { WebhookErrorCode, WebhookErrorStatus } from './errors/status-table.js'
export type { SignatureAlgorithm } from './lib/algorithms.js'
export type { KeySetEvent, RemoteKeySet, RemoteKeySetOptions } from './jwks/types.js'
export type { KeySetEntry, UnusableKey, VerificationKey } from './keys/verification-key.js'
export type { MemoryReplayStoreOptions } from './replay/create-memory-replay-store.js'
export type { ReplayStore } from './replay/replay-store.js'
export type {
  AcceptedWebhook,
  WebhookRoute,
  WebhookRouteOptions,
} from './http/create-webhook-route.js'
export type { ProblemDocument, ProblemResponse } from './http/problem-response.js'
export type { ReadRawBodyOptions } from './http/read-raw-body.js'
export type { JwksResponse, JwksResponseOptions } from './http/jwks-response.js'
export type { SenderPublicationOptions } from './http/sender-publication.js'
export type {
  HeadersInput,
  IssuerOptions,
  JwtSenderOptions,
  InboundSenderOptions,
  VerifiedWebhook,
  Verifier,
  WebhookAlgorithm,
  WebhookScheme,
  VerifierEvent,
  VerifierOptions,
  WebhookClaims,
  WebhookRequest,
} from './verify/types.js'
export type { OAuth1Consumer, OAuth1SenderOptions } from './schemes/oauth1/types.js'
export type { SignOAuth1RequestOptions } from './schemes/oauth1/sign-oauth1-request.js'
export type { OAuth1SignatureMethod } from './schemes/oauth1/oauth1-signature.js'
export type { PlaidKeySourceOptions } from './schemes/jwt/create-plaid-key-source.js'
export type { KeyFunction, KeyFunctionCacheOptions } from './schemes/jwt/create-key-function-set.js'
export type { StandardWebhooksSenderOptions } from './schemes/standard-webhooks/types.js'
export type { StandardWebhooksSignature } from './schemes/standard-webhooks/parse-signature-header.js'
export type {
  SignStandardWebhookOptions,
  StandardWebhookHeaders,
} from './schemes/standard-webhooks/sign-standard-webhook.js'
export type { CreateSignerOptions } from './sign/create-signer.js'
export type { SignedWebhookHeaders, Signer, SignWebhookRequest } from './sign/types.js'
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
} from './sign/key-set-types.js'
export type { DeliveryAttemptErrorCode, DeliveryErrorCode } from './deliver/delivery-error.js'
export type { ResolveHost } from './deliver/guarded-lookup.js'
export type { PreparedDelivery } from './deliver/prepare-delivery.js'
export type {
  ClientCredentialsOptions,
  DeadLetter,
  DeadLetterReason,
  Delivery,
  DeliveryAttempt,
  DeliveryEvent,
  DeliveryResult,
  DestinationAuth,
  Sender,
  SenderOptions,
} from './deliver/types.js'
