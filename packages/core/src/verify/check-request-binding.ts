import { createHash } from 'node:crypto'
import { WebhookError } from '../errors/webhook-error.js'
import type { WebhookClaims } from './types.js'

/**
 * Checks `request_body_sha256` against the exact raw body. Returns whether a digest was checked;
 * throws when it does not match, or when it is absent and `required`.
 */
export function checkBodyDigest(
  claims: WebhookClaims,
  body: Uint8Array,
  policy: 'required' | 'optional',
): boolean {
  const claimed = claims.request_body_sha256
  if (claimed === undefined) {
    if (policy === 'optional') return false
    throw new WebhookError(
      'ERR_BODY_DIGEST_MISSING',
      'the token has no "request_body_sha256" claim binding it to this body',
    )
  }
  // Both the body and the digest are known to whoever sent them: a plain comparison leaks nothing.
  const actual = createHash('sha256').update(body).digest('hex')
  if (claimed !== actual) {
    throw new WebhookError('ERR_BODY_DIGEST_MISMATCH', 'the body does not match the signed digest')
  }
  return true
}

const RELATIVE_BASE = 'http://relative.invalid'

/**
 * Checks the `htm` and `htu` claims, when the token has them, against the request. `htu` is compared
 * without query or fragment; against a request URL given as a path only, just the path is compared
 * (the `aud` claim already binds the token to this receiver).
 */
export function checkRequestTarget(claims: WebhookClaims, method: string, url: string): void {
  const { htm, htu } = claims
  if (htm !== undefined && (typeof htm !== 'string' || htm !== method.toUpperCase())) {
    throw new WebhookError('ERR_METHOD_MISMATCH', 'the token was signed for another HTTP method')
  }
  if (htu === undefined) return
  const signed = typeof htu === 'string' && URL.canParse(htu) ? new URL(htu) : null
  const relative = !URL.canParse(url)
  const received = URL.canParse(url, RELATIVE_BASE) ? new URL(url, RELATIVE_BASE) : null
  const matches =
    signed !== null &&
    received !== null &&
    received.pathname === signed.pathname &&
    (relative || (received.protocol === signed.protocol && received.host === signed.host))
  if (!matches) {
    throw new WebhookError('ERR_URL_MISMATCH', 'the token was signed for another URL')
  }
}
