import type { WebhookErrorCode } from '@hookseal/core'

/** The steps the verifier takes for a Standard Webhooks request, in order. */
export const STANDARD_WEBHOOKS_STEPS = [
  'signature found',
  'headers parsed',
  'signature',
  'timestamp window',
  'replay',
] as const

/** The steps the verifier takes for an OAuth 1.0a request, in order. */
export const OAUTH1_STEPS = [
  'credentials found',
  'parameters parsed',
  'method allowed',
  'consumer known',
  'timestamp window',
  'signature',
  'body hash',
  'replay',
] as const

export type StandardWebhooksStep = (typeof STANDARD_WEBHOOKS_STEPS)[number]
export type OAuth1Step = (typeof OAUTH1_STEPS)[number]

/**
 * The step each refusal of a Standard Webhooks request fails at. Codes the scheme never raises
 * are absent: a refusal made outside the verifier leaves every step passed, and the verdict names
 * it.
 */
export const STANDARD_WEBHOOKS_STEP_OF_CODE: Readonly<
  Partial<Record<WebhookErrorCode, StandardWebhooksStep>>
> = {
  ERR_SIGNATURE_MISSING: 'signature found',
  ERR_SIGNATURE_DUPLICATE: 'signature found',
  ERR_SIGNATURE_AMBIGUOUS: 'signature found',
  ERR_SIGNATURE_MALFORMED: 'headers parsed',
  // Keys from a JWKS are fetched while the signature is checked.
  ERR_JWKS_UNAVAILABLE: 'signature',
  ERR_SIGNATURE_INVALID: 'signature',
  ERR_TIMESTAMP_OUT_OF_WINDOW: 'timestamp window',
  ERR_REPLAY: 'replay',
  ERR_REPLAY_STORE_UNAVAILABLE: 'replay',
}

/** The step each refusal of an OAuth 1.0a request fails at; as above for absent codes. */
export const OAUTH1_STEP_OF_CODE: Readonly<Partial<Record<WebhookErrorCode, OAuth1Step>>> = {
  ERR_SIGNATURE_MISSING: 'credentials found',
  ERR_SIGNATURE_DUPLICATE: 'credentials found',
  ERR_SIGNATURE_AMBIGUOUS: 'credentials found',
  ERR_SIGNATURE_MALFORMED: 'parameters parsed',
  ERR_ALG_NOT_ALLOWED: 'method allowed',
  ERR_CONSUMER_UNKNOWN: 'consumer known',
  ERR_KEYS_UNAVAILABLE: 'consumer known',
  ERR_TIMESTAMP_OUT_OF_WINDOW: 'timestamp window',
  ERR_SIGNATURE_INVALID: 'signature',
  ERR_BODY_DIGEST_MISMATCH: 'body hash',
  ERR_REPLAY: 'replay',
  ERR_REPLAY_STORE_UNAVAILABLE: 'replay',
}
