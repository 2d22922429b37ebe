import { createHash, timingSafeEqual } from '#runtime/crypto.js'
import { percentEncode } from './percent-encode.js'

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/**
 * Whether a PLAINTEXT `oauth_signature` (RFC 5849 §3.4.4, decoded) is the encoded consumer secret
 * and token secret joined by `&`. Compared as SHA-256 digests in constant time, so that neither the
 * content nor the length of the secrets leaks through timing.
 */
export function plaintextSignatureMatches(
  sent: string,
  consumerSecret: string,
  tokenSecret = '',
): boolean {
  const expected = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`
  return timingSafeEqual(digest(sent), digest(expected))
}
