import { hash } from 'node:crypto'
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
  // The one-shot hash skips the Hash object createHash would build for a single update.
  const actual = hash('sha256', body, 'hex')
  if (claimed !== actual) {
    throw new WebhookError('ERR_BODY_DIGEST_MISMATCH', 'the body does not match the signed digest')
  }
  return true
}

const RELATIVE_BASE = 'http://relative.invalid'

/** The parts of a URL that `htu` is compared on. */
interface UrlParts {
  readonly pathname: string
  readonly protocol: string
  readonly host: string
}

function partsOf(url: URL): UrlParts {
  return { pathname: url.pathname, protocol: url.protocol, host: url.host }
}

/**
 * The last `htu` and request URL parsed, with what parsing gave. A receiver sees the same few URLs
 * over and over (one sender, one route), and parsing them again costs more than the rest of this
 * check; one entry each keeps that saving without holding anything a request could grow.
 */
let lastSigned: { readonly htu: string; readonly parts: UrlParts | null } | undefined
let lastReceived:
  { readonly url: string; readonly relative: boolean; readonly parts: UrlParts | null } | undefined

function signedParts(htu: string): UrlParts | null {
  if (lastSigned?.htu !== htu) {
    lastSigned = { htu, parts: URL.canParse(htu) ? partsOf(new URL(htu)) : null }
  }
  return lastSigned.parts
}

function receivedParts(url: string): { relative: boolean; parts: UrlParts | null } {
  if (lastReceived?.url !== url) {
    lastReceived = {
      url,
      relative: !URL.canParse(url),
      parts: URL.canParse(url, RELATIVE_BASE) ? partsOf(new URL(url, RELATIVE_BASE)) : null,
    }
  }
  return lastReceived
}

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
  const signed = typeof htu === 'string' ? signedParts(htu) : null
  const { relative, parts: received } = receivedParts(url)
  const matches =
    signed !== null &&
    received !== null &&
    received.pathname === signed.pathname &&
    (relative || (received.protocol === signed.protocol && received.host === signed.host))
  if (!matches) {
    throw new WebhookError('ERR_URL_MISMATCH', 'the token was signed for another URL')
  }
}
