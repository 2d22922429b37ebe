import { hash } from '#runtime/crypto.js'
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

/** Scheme and authority of an absolute URL, as the URL parser ends them (a backslash too). */
const ORIGIN = /^[a-z][a-z\d+.-]*:\/\/[^/?#\\]*/i
/**
 * What makes a path mean something else to a router than to a URL parser: a dot segment, plain or
 * percent-encoded in any case (`..`, `%2e%2E`, `.%2e`, `.`), a backslash (a slash to the URL parser,
 * a character to most routers) or an empty segment (`//`).
 */
const NOT_CANONICAL = /\\|\/\/|\/(?:\.|%2e){1,2}(?=\/|$)/i

/** The parts of a URL that `htu` is compared on. */
interface UrlParts {
  readonly pathname: string
  readonly protocol: string
  readonly host: string
}

/** A request URL taken apart: its path exactly as sent, and for an absolute URL its origin. */
interface ReceivedTarget {
  readonly rawPath: string
  /** Null when the URL is a path only. */
  readonly origin: { readonly protocol: string; readonly host: string } | null
}

/**
 * The last `htu` and request URL parsed, with what parsing gave. A receiver sees the same few URLs
 * over and over (one sender, one route), and parsing them again costs more than the rest of this
 * check; one entry each keeps that saving without holding anything a request could grow.
 */
let lastSigned: { readonly htu: string; readonly parts: UrlParts | null } | undefined
let lastReceived: { readonly url: string; readonly target: ReceivedTarget | null } | undefined

function signedParts(htu: string): UrlParts | null {
  if (lastSigned?.htu !== htu) {
    const url = URL.canParse(htu) ? new URL(htu) : null
    lastSigned = {
      htu,
      parts: url && { pathname: url.pathname, protocol: url.protocol, host: url.host },
    }
  }
  return lastSigned.parts
}

/** The path of a request target up to its query or fragment; `/` for an empty one. */
function pathOf(target: string): string {
  const end = target.search(/[?#]/)
  return (end === -1 ? target : target.slice(0, end)) || '/'
}

function parseTarget(url: string): ReceivedTarget | null {
  if (url.startsWith('/')) return { rawPath: pathOf(url), origin: null }
  const origin = ORIGIN.exec(url)?.[0]
  if (origin === undefined || !URL.canParse(url)) return null
  const { protocol, host } = new URL(url)
  return { rawPath: pathOf(url.slice(origin.length)), origin: { protocol, host } }
}

function receivedTarget(url: string): ReceivedTarget | null {
  if (lastReceived?.url !== url) lastReceived = { url, target: parseTarget(url) }
  return lastReceived.target
}

/**
 * Checks the request path, and the `htm` and `htu` claims when the token has them, against the
 * request. A path that a URL parser and a router would read differently (dot segments, encoded or
 * not, backslashes, empty segments) is refused outright: a token signed for `/hooks/orders` must not
 * be accepted at `/hooks/refunds/../orders`, which a router may send elsewhere. `htu` is compared
 * with the path exactly as received, without query or fragment; against a request URL given as a
 * path only, just the path is compared (the `aud` claim already binds the token to this receiver).
 */
export function checkRequestTarget(claims: WebhookClaims, method: string, url: string): void {
  const received = receivedTarget(url)
  if (received !== null && NOT_CANONICAL.test(received.rawPath)) {
    throw new WebhookError(
      'ERR_URL_NOT_CANONICAL',
      'the request path holds dot segments, backslashes or empty segments',
    )
  }
  const { htm, htu } = claims
  if (htm !== undefined && (typeof htm !== 'string' || htm !== method.toUpperCase())) {
    throw new WebhookError('ERR_METHOD_MISMATCH', 'the token was signed for another HTTP method')
  }
  if (htu === undefined) return
  const signed = typeof htu === 'string' ? signedParts(htu) : null
  const matches =
    signed !== null &&
    received !== null &&
    received.rawPath === signed.pathname &&
    (received.origin === null ||
      (received.origin.protocol === signed.protocol && received.origin.host === signed.host))
  if (!matches) {
    throw new WebhookError('ERR_URL_MISMATCH', 'the token was signed for another URL')
  }
}
