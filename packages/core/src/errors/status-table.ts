/**
 * The one table from error code to HTTP status. Every adapter answers with the status found here,
 * so a refusal looks the same whichever framework the receiver runs.
 */
export const WEBHOOK_ERROR_STATUS = {
  ERR_SIGNATURE_MISSING: 401,
  ERR_SIGNATURE_DUPLICATE: 401,
  ERR_TOKEN_MALFORMED: 401,
  ERR_TOKEN_TOO_LARGE: 401,
  ERR_ALG_NOT_ALLOWED: 401,
  ERR_CRIT_UNSUPPORTED: 401,
  ERR_KID_MISSING: 401,
  ERR_ISSUER_UNKNOWN: 401,
  ERR_KEY_NOT_FOUND: 401,
  ERR_KEY_UNUSABLE: 401,
  ERR_SIGNATURE_INVALID: 401,
  ERR_CLAIM_INVALID: 401,
  ERR_TOKEN_EXPIRED: 401,
  ERR_TOKEN_NOT_YET_VALID: 401,
  ERR_TOKEN_ISSUED_IN_FUTURE: 401,
  ERR_TOKEN_TOO_OLD: 401,
  ERR_AUDIENCE_MISMATCH: 401,
  ERR_BODY_DIGEST_MISSING: 401,
  ERR_BODY_DIGEST_MISMATCH: 401,
  ERR_METHOD_MISMATCH: 401,
  ERR_URL_MISMATCH: 401,
  ERR_REPLAY: 401,
  ERR_WEBHOOK_FORBIDDEN: 403,
  ERR_BODY_INVALID: 400,
  ERR_BODY_TOO_LARGE: 413,
  ERR_JWKS_UNAVAILABLE: 503,
  ERR_REPLAY_STORE_UNAVAILABLE: 503,
} as const

/** A stable machine-readable reason for refusing a webhook. */
export type WebhookErrorCode = keyof typeof WEBHOOK_ERROR_STATUS

/** The HTTP statuses a refusal can carry. */
export type WebhookErrorStatus = (typeof WEBHOOK_ERROR_STATUS)[WebhookErrorCode]
