import { validateHeaderName, validateHeaderValue } from 'node:http'

/** Headers the sender sets itself: the signature, the event id, and framing. */
const RESERVED = new Set([
  'x-signature',
  'webhook-id',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
])

/**
 * Checks caller-supplied headers and lower-cases their names, so that they merge with the sender's
 * own headers without two spellings of one name ending up on the wire.
 *
 * @param where What the headers are, for the error message (`headers`, `auth[…].headers`).
 * @param also Further names refused here, e.g. `authorization` beside an OAuth2 grant.
 * @throws TypeError for a non-object, a malformed name, a non-string or malformed value (the value
 *   is never quoted: it may be a secret), or a name the sender sets itself.
 *
 * @example
 * ```ts
 * normalizeHeaders({ 'Ocp-Apim-Subscription-Key': key }, 'auth headers') // { 'ocp-apim-subscription-key': key }
 * ```
 */
export function normalizeHeaders(
  headers: unknown,
  where: string,
  also: readonly string[] = [],
): Record<string, string> {
  if (headers === undefined) return {}
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new TypeError(`${where} must be an object of header names to strings`)
  }
  const normalized = new Map<string, string>()
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    try {
      validateHeaderName(name)
    } catch {
      throw new TypeError(`${where}: ${JSON.stringify(name)} is not a valid header name`)
    }
    if (typeof value !== 'string') throw new TypeError(`${where}: ${lower} must be a string`)
    try {
      validateHeaderValue(name, value)
    } catch {
      throw new TypeError(`${where}: ${lower} holds characters a header cannot carry`)
    }
    if (RESERVED.has(lower) || also.includes(lower)) {
      throw new TypeError(`${where}: ${lower} is set by the sender and cannot be given`)
    }
    if (normalized.has(lower)) throw new TypeError(`${where}: ${lower} is given twice`)
    normalized.set(lower, value)
  }
  return Object.fromEntries(normalized)
}
