import { decodeBase64Url } from './base64url.js'
import { parseJsonObject } from './parse-json-object.js'

/** A JWS in compact serialization, decoded but not yet verified. */
export interface CompactJws {
  /** Frozen, and shared by every token with the same header segment: read it, never change it. */
  readonly header: Readonly<Record<string, unknown>>
  readonly payload: Record<string, unknown>
  /** `base64url(header) + '.' + base64url(payload)` as ASCII bytes: what the signature covers. */
  readonly signingInput: Buffer
  readonly signature: Buffer
}

/** Why a token could not be parsed; the verifier turns it into ERR_TOKEN_MALFORMED. */
export class MalformedTokenError extends Error {}

/**
 * The last header segment that parsed, and what it parsed to. A sender signs every token with the
 * same few header bytes (`alg`, `kid`, `typ`), so decoding and parsing them again would only
 * produce the same object; parsing is a function of the segment alone, so reusing it changes no
 * verdict. One entry: nothing a stream of tokens could grow.
 */
let lastHeader: { readonly segment: string; readonly header: Readonly<Record<string, unknown>> } = {
  segment: '',
  header: Object.freeze({}),
}

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
  const headerSegment = token.slice(0, firstDot)
  // A header segment seen last time was strict base64url of a JSON object: no need to decode it.
  // ('' never matches: the empty segment is refused below.)
  const known = headerSegment !== '' && headerSegment === lastHeader.segment
  const headerBytes = known ? undefined : decodeSegment(headerSegment)
  const payloadBytes = decodeSegment(token.slice(firstDot + 1, secondDot))
  const signature = decodeSegment(token.slice(secondDot + 1))
  if ((!known && !headerBytes) || !payloadBytes || !signature) {
    throw new MalformedTokenError('a token segment is empty or not strict base64url')
  }
  let header = lastHeader.header
  if (!known) {
    const parsed = parseJsonObject(headerBytes as Buffer)
    if (!parsed) throw new MalformedTokenError('the token header is not a JSON object')
    header = Object.freeze(parsed)
    lastHeader = { segment: headerSegment, header }
  }
  const payload = parseJsonObject(payloadBytes)
  if (!payload) throw new MalformedTokenError('the token payload is not a JSON object')
  return {
    header,
    payload,
    signingInput: Buffer.from(token.slice(0, secondDot), 'ascii'),
    signature,
  }
}

function decodeSegment(segment: string): Buffer | undefined {
  return segment === '' ? undefined : decodeBase64Url(segment)
}
