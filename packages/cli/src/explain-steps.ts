import type { WebhookErrorCode } from '@hookseal/core'

/** The verifier's steps, in the order it takes them; a failure leaves the later ones unchecked. */
export const STEPS = [
  'token found',
  'header parsed',
  'alg allowed',
  'issuer known',
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

const STEP_OF_CODE: Partial<Record<WebhookErrorCode, Step>> = {
  ERR_SIGNATURE_MISSING: 'token found',
  ERR_SIGNATURE_DUPLICATE: 'token found',
  ERR_TOKEN_TOO_LARGE: 'token found',
  ERR_TOKEN_MALFORMED: 'header parsed',
  ERR_ALG_NOT_ALLOWED: 'alg allowed',
  ERR_CRIT_UNSUPPORTED: 'alg allowed',
  ERR_ISSUER_UNKNOWN: 'issuer known',
  ERR_KID_MISSING: 'key found',
  ERR_KEY_NOT_FOUND: 'key found',
  ERR_JWKS_UNAVAILABLE: 'key found',
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
  ERR_REPLAY: 'replay',
  ERR_REPLAY_STORE_UNAVAILABLE: 'replay',
}

/** The step a refusal belongs to. */
export function stepOf(code: WebhookErrorCode): Step {
  return STEP_OF_CODE[code] ?? 'token found'
}
