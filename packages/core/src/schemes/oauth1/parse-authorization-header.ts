import { WebhookError } from '../../errors/webhook-error.js'
import type { Parameter } from './normalize-parameters.js'
import { percentDecode } from './percent-encode.js'

/** Longest `Authorization: OAuth …` value read. */
export const MAX_AUTHORIZATION_LENGTH = 8192
const SCHEME = /^OAuth(?:[ \t]+|$)/i
const NAME = /^[A-Za-z0-9%._~-]+$/

function malformed(message: string): WebhookError {
  return new WebhookError('ERR_SIGNATURE_MALFORMED', message)
}

function isWhitespace(c: string | undefined): boolean {
  return c === ' ' || c === '\t'
}

/**
 * Parses an `Authorization: OAuth …` header (RFC 5849 §3.5.1) into decoded parameters:
 * `name="value"` pairs separated by commas, optional whitespace around them, names and values
 * percent-encoded. One pass, no backtracking. Throws `ERR_SIGNATURE_MALFORMED` for anything else,
 * and for a parameter given twice.
 *
 * @example
 * ```ts
 * parseOAuthAuthorization('OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03"')
 * // [['realm', 'Photos'], ['oauth_consumer_key', 'dpf43f3p2l4k3l03']]
 * ```
 */
export function parseOAuthAuthorization(header: string): Parameter[] {
  if (header.length > MAX_AUTHORIZATION_LENGTH) {
    throw malformed(
      `the Authorization header is longer than ${MAX_AUTHORIZATION_LENGTH} characters`,
    )
  }
  const scheme = SCHEME.exec(header)
  if (scheme === null) throw malformed('the Authorization header is not of the OAuth scheme')
  const parameters: Parameter[] = []
  const seen = new Set<string>()
  let at = scheme[0].length
  while (at < header.length) {
    while (isWhitespace(header[at])) at++
    if (at === header.length) break
    const equals = header.indexOf('=', at)
    if (equals === -1) throw malformed('an OAuth parameter has no value')
    const rawName = header.slice(at, equals)
    if (!NAME.test(rawName)) throw malformed('an OAuth parameter name is not percent-encoded')
    if (header[equals + 1] !== '"') throw malformed('an OAuth parameter value is not quoted')
    const close = header.indexOf('"', equals + 2)
    if (close === -1) throw malformed('an OAuth parameter value is not closed')
    const name = percentDecode(rawName)
    if (seen.has(name)) throw malformed(`the OAuth parameter ${name} is given twice`)
    seen.add(name)
    parameters.push([name, percentDecode(header.slice(equals + 2, close))])
    at = close + 1
    while (isWhitespace(header[at])) at++
    if (at < header.length) {
      if (header[at] !== ',') throw malformed('OAuth parameters must be separated by commas')
      at++
    }
  }
  if (parameters.length === 0) throw malformed('the OAuth Authorization header is empty')
  return parameters
}
