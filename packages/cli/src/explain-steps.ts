import type { WebhookErrorCode } from '@hookseal/core'

/** The verifier's steps, in the order it takes them; a failure leaves the later ones unchecked. */
export const STEPS = [
  'token found',
  'header parsed',
  'alg allowed',
  'issuer known',
  'typ accepted',
  'key found',
  'key usable',
  'signature',
  'claims well-formed',
  'claim exp',
  'claim nbf',
  'claim iat',
  'claim aud',
  'body digest',
  'method and URL',
  'replay',
] as const

export type Step = (typeof STEPS)[number]

/**
 * The step each refusal fails at. Complete by its type, so a new error code does not compile until
 * it is placed here. `null` marks a refusal a receiver makes around the verifier (reading the body,
 * `authorize`, `validateBody`), which `verify()` never raises: no verifier step failed.
 */
export const STEP_OF_CODE: Readonly<Record<WebhookErrorCode, Step | null>> = {
  ERR_SIGNATURE_MISSING: 'token found',
  ERR_SIGNATURE_DUPLICATE: 'token found',
  ERR_SIGNATURE_AMBIGUOUS: 'token found',
  ERR_SIGNATURE_MALFORMED: 'header parsed',
  ERR_TIMESTAMP_OUT_OF_WINDOW: 'claim iat',
  ERR_CONSUMER_UNKNOWN: 'issuer known',
  ERR_TOKEN_TOO_LARGE: 'token found',
  ERR_TOKEN_MALFORMED: 'header parsed',
  ERR_ALG_NOT_ALLOWED: 'alg allowed',
  ERR_CRIT_UNSUPPORTED: 'alg allowed',
  ERR_ISSUER_UNKNOWN: 'issuer known',
  ERR_TOKEN_TYPE_MISMATCH: 'typ accepted',
  ERR_KID_MISSING: 'key found',
  ERR_KEY_NOT_FOUND: 'key found',
  ERR_JWKS_UNAVAILABLE: 'key found',
  ERR_KEY_NOT_YET_FETCHED: 'key found',
  ERR_KEYS_UNAVAILABLE: 'key found',
  ERR_KEY_UNUSABLE: 'key usable',
  ERR_SIGNATURE_INVALID: 'signature',
  ERR_CLAIM_INVALID: 'claims well-formed',
  ERR_TOKEN_EXPIRED: 'claim exp',
  ERR_TOKEN_NOT_YET_VALID: 'claim nbf',
  ERR_TOKEN_ISSUED_IN_FUTURE: 'claim iat',
  ERR_TOKEN_TOO_OLD: 'claim iat',
  ERR_AUDIENCE_MISMATCH: 'claim aud',
  ERR_BODY_DIGEST_MISSING: 'body digest',
  ERR_BODY_DIGEST_MISMATCH: 'body digest',
  ERR_METHOD_MISMATCH: 'method and URL',
  ERR_URL_MISMATCH: 'method and URL',
  ERR_URL_NOT_CANONICAL: 'method and URL',
  ERR_REPLAY: 'replay',
  ERR_REPLAY_STORE_UNAVAILABLE: 'replay',
  ERR_WEBHOOK_FORBIDDEN: null,
  ERR_BODY_INVALID: null,
  ERR_BODY_INCOMPLETE: null,
  ERR_BODY_TOO_LARGE: null,
  ERR_BODY_TIMEOUT: null,
  ERR_RAW_BODY_UNAVAILABLE: null,
  ERR_ROUTE_UNPROTECTED: null,
}

/** The verifier step a refusal failed at, or undefined for one made outside the verifier. */
export function stepOf(code: WebhookErrorCode): Step | undefined {
  return STEP_OF_CODE[code] ?? undefined
}
