export { createVerifier } from './verify/create-verifier.js'
export { createRemoteKeySet } from './jwks/create-remote-key-set.js'
export { createMemoryReplayStore } from './replay/create-memory-replay-store.js'
export { createWebhookRoute } from './http/create-webhook-route.js'
export { bodyTooLarge, readRawBody, rawBodyUnavailable } from './http/read-raw-body.js'
export { problemResponse } from './http/problem-response.js'
export {
  WebhookError,
  RetryableWebhookError,
  JwksUnavailableError,
} from './errors/webhook-error.js'
export { WEBHOOK_ERROR_STATUS } from './errors/status-table.js'
export { SUPPORTED_ALGORITHMS } from './lib/algorithms.js'

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
export type {
  HeadersInput,
  IssuerOptions,
  VerifiedWebhook,
  Verifier,
  VerifierEvent,
  VerifierOptions,
  WebhookClaims,
  WebhookRequest,
} from './verify/types.js'
