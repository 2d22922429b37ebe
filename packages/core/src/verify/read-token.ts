import { WebhookError } from '../errors/webhook-error.js'
import { readHeaderValues } from './read-header-values.js'
import type { HeadersInput } from './types.js'

export interface TokenSource {
  /** Lowercase name of the header that carries the bare token. */
  readonly signatureHeader: string
  readonly acceptBearer: boolean
  readonly maxTokenLength: number
}

/** How Node joins repeated headers into one value; a token never holds it. */
const FOLDED = ', '
const BEARER_SCHEME = /^bearer(?: |$)/i
const BEARER = /^bearer +([^\s]+)$/i

/**
 * Strips HTTP's optional whitespace around a field value: spaces and tabs, nothing else. A scan from
 * each end, because a `[ \t]+$` pattern backtracks quadratically over a long inner run of spaces.
 */
function trimOptionalWhitespace(value: string): string {
  let start = 0
  let end = value.length
  while (start < end && (value[start] === ' ' || value[start] === '\t')) start++
  while (end > start && (value[end - 1] === ' ' || value[end - 1] === '\t')) end--
  return value.slice(start, end)
}

/**
 * Finds the one token of a request. Exactly one credential is accepted: two signature headers, or a
 * signature header beside a bearer token, leave it unclear which one the sender meant.
 */
export function readToken(headers: HeadersInput, source: TokenSource): string {
  const token = findToken(headers, source, true)
  if (token === undefined) {
    throw new WebhookError(
      'ERR_SIGNATURE_MISSING',
      source.acceptBearer
        ? `missing ${source.signatureHeader} header or Authorization: Bearer token`
        : `missing ${source.signatureHeader} header`,
    )
  }
  return token
}

/**
 * As {@link readToken}, but undefined when the request carries no token. Unless `bearerOnly`, an
 * Authorization header of another scheme (`OAuth …`) is not a token and is left to that scheme.
 */
export function findToken(
  headers: HeadersInput,
  source: TokenSource,
  bearerOnly = false,
): string | undefined {
  const signatures = readHeaderValues(headers, source.signatureHeader)
  let bearers = source.acceptBearer ? readHeaderValues(headers, 'authorization') : []
  if (!bearerOnly && bearers.length > 0) {
    bearers = bearers.filter((value) => BEARER_SCHEME.test(trimOptionalWhitespace(value)))
  }
  const count = signatures.length + bearers.length
  if (count === 0) return undefined
  const value = trimOptionalWhitespace(signatures[0] ?? bearers[0] ?? '')
  if (count > 1 || value.includes(FOLDED)) {
    throw new WebhookError('ERR_SIGNATURE_DUPLICATE', 'more than one signature was sent')
  }
  if (signatures.length === 0 && !BEARER_SCHEME.test(value)) {
    throw new WebhookError(
      'ERR_SIGNATURE_MISSING',
      'the Authorization header is not a Bearer token',
    )
  }
  const token = signatures.length > 0 ? value : BEARER.exec(value)?.[1]
  if (token === undefined) {
    throw new WebhookError('ERR_TOKEN_MALFORMED', 'the Bearer token is empty or holds spaces')
  }
  if (token.length > source.maxTokenLength) {
    throw new WebhookError(
      'ERR_TOKEN_TOO_LARGE',
      `the token is longer than ${source.maxTokenLength} characters`,
    )
  }
  if (token === '') throw new WebhookError('ERR_SIGNATURE_MISSING', 'the signature header is empty')
  return token
}
