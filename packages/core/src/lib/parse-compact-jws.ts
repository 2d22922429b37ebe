import { decodeBase64Url } from './base64url.js'
import { parseJsonObject } from './parse-json-object.js'

/** A JWS in compact serialization, decoded but not yet verified. */
export interface CompactJws {
  readonly header: Record<string, unknown>
  readonly payload: Record<string, unknown>
  /** `base64url(header) + '.' + base64url(payload)` as ASCII bytes: what the signature covers. */
  readonly signingInput: Buffer
  readonly signature: Buffer
}

/** Why a token could not be parsed; the verifier turns it into ERR_TOKEN_MALFORMED. */
export class MalformedTokenError extends Error {}

/**
 * Parses a JWS in compact serialization only: exactly three non-empty base64url segments, a JSON
 * object header and a JSON object payload (a JWT). JSON serialization, JWE (five segments) and
 * unsigned tokens are all refused here, before any key is looked at. The caller enforces the size
 * cap before calling.
 */
export function parseCompactJws(token: string): CompactJws {
  const firstDot = token.indexOf('.')
  const secondDot = token.indexOf('.', firstDot + 1)
  if (firstDot < 0 || secondDot < 0 || token.includes('.', secondDot + 1)) {
    throw new MalformedTokenError('the token is not a compact JWS of three segments')
  }
  const segments = [
    token.slice(0, firstDot),
    token.slice(firstDot + 1, secondDot),
    token.slice(secondDot + 1),
  ] as const
  const [headerBytes, payloadBytes, signature] = segments.map((segment) =>
    segment === '' ? undefined : decodeBase64Url(segment),
  )
  if (!headerBytes || !payloadBytes || !signature) {
    throw new MalformedTokenError('a token segment is empty or not strict base64url')
  }
  const header = parseJsonObject(headerBytes)
  if (!header) throw new MalformedTokenError('the token header is not a JSON object')
  const payload = parseJsonObject(payloadBytes)
  if (!payload) throw new MalformedTokenError('the token payload is not a JSON object')
  return {
    header,
    payload,
    signingInput: Buffer.from(token.slice(0, secondDot), 'ascii'),
    signature,
  }
}
