/**
 * What a receiver uses: the verifier and its schemes, the JWKS client, replay stores, and the errors
 * a refusal carries with their statuses. Sending lives in `@hookseal/core/send`, the adapter kit in
 * `@hookseal/core/http`, test helpers in `@hookseal/core/testing`.
 *
 * @packageDocumentation
 */
export { createVerifier } from './verify/create-verifier.js'
export { createPlaidKeySource } from './schemes/jwt/create-plaid-key-source.js'
export { createRemoteKeySet } from './jwks/create-remote-key-set.js'
export { createMemoryReplayStore } from './replay/create-memory-replay-store.js'
export { HooksealError } from './errors/hookseal-error.js'
export {
  WebhookError,
  RetryableWebhookError,
  JwksUnavailableError,
} from './errors/webhook-error.js'
export { JwksFetchError } from './jwks/jwks-fetch-error.js'
export { WEBHOOK_ERROR_STATUS } from './errors/status-table.js'
export { SUPPORTED_ALGORITHMS } from './lib/algorithms.js'

export type { WebhookErrorCode, WebhookErrorStatus } from './errors/status-table.js'
export type { SignatureAlgorithm } from './lib/algorithms.js'
export type { JwksFetchErrorCode } from './jwks/jwks-fetch-error.js'
export type { KeySetEvent, RemoteKeySet, RemoteKeySetOptions } from './jwks/types.js'
export type { KeySetEntry, UnusableKey, VerificationKey } from './keys/verification-key.js'
export type { MemoryReplayStoreOptions } from './replay/create-memory-replay-store.js'
export type { ReplayStore } from './replay/replay-store.js'
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
export type { OAuth1SignatureMethod } from './schemes/oauth1/oauth1-signature.js'
export type { PlaidKeySourceOptions } from './schemes/jwt/create-plaid-key-source.js'
export type { KeyFunction, KeyFunctionCacheOptions } from './schemes/jwt/create-key-function-set.js'
export type { StandardWebhooksSenderOptions } from './schemes/standard-webhooks/types.js'
