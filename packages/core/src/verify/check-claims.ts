import { WebhookError } from '../errors/webhook-error.js'
import type { WebhookClaims } from './types.js'

/** The claim rules of one issuer, normalised. */
export interface ClaimRules {
  /** null when the sender sends no `aud` (configured `audience: null`). */
  readonly audiences: ReadonlySet<string> | null
  readonly clockTolerance: number
  readonly maxTokenAge: number | null
  /** False only with a `maxTokenAge`, which then bounds the token's life alone. */
  readonly requireExp: boolean
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

function invalid(message: string): WebhookError {
  return new WebhookError('ERR_CLAIM_INVALID', message)
}

/**
 * Checks the time and audience claims of a token whose signature is already verified, and returns
 * the epoch second after which the token can no longer be accepted (so the replay store can forget
 * it). `now` is in seconds.
 */
export function checkClaims(
  payload: Record<string, unknown>,
  rules: ClaimRules,
  now: number,
): { claims: WebhookClaims; acceptableUntil: number } {
  const { exp, nbf, iat, jti, aud } = payload
  const tolerance = rules.clockTolerance

  if (!isNumericDate(exp) && (rules.requireExp || exp !== undefined)) {
    throw invalid('the token has no numeric "exp" claim')
  }
  const expiry = isNumericDate(exp) ? exp : undefined
  if (nbf !== undefined && !isNumericDate(nbf)) throw invalid('"nbf" is not a number')
  if (iat !== undefined && !isNumericDate(iat)) throw invalid('"iat" is not a number')
  if (jti !== undefined && (typeof jti !== 'string' || jti === '')) {
    throw invalid('"jti" is not a non-empty string')
  }

  if (expiry !== undefined && expiry <= now - tolerance)
    throw new WebhookError('ERR_TOKEN_EXPIRED', 'the token has expired')
  if (nbf !== undefined && nbf > now + tolerance) {
    throw new WebhookError('ERR_TOKEN_NOT_YET_VALID', 'the token is not valid yet ("nbf")')
  }
  if (iat !== undefined && iat > now + tolerance) {
    throw new WebhookError('ERR_TOKEN_ISSUED_IN_FUTURE', 'the token was issued in the future')
  }
  let acceptableUntil = expiry === undefined ? Infinity : expiry + tolerance
  if (rules.maxTokenAge !== null) {
    if (iat === undefined) throw invalid('the token has no "iat" claim, required for its age')
    if (now - iat - tolerance > rules.maxTokenAge) {
      throw new WebhookError(
        'ERR_TOKEN_TOO_OLD',
        `the token is older than ${rules.maxTokenAge} seconds`,
      )
    }
    acceptableUntil = Math.min(acceptableUntil, iat + rules.maxTokenAge + tolerance)
  }

  const audiences = typeof aud === 'string' ? [aud] : aud
  if (
    rules.audiences !== null &&
    (!Array.isArray(audiences) ||
      !audiences.some((value) => typeof value === 'string' && rules.audiences?.has(value)))
  ) {
    throw new WebhookError('ERR_AUDIENCE_MISMATCH', 'the token is not meant for this receiver')
  }

  return { claims: payload as WebhookClaims, acceptableUntil }
}
