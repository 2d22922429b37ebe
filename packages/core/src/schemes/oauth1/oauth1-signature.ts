import { createHmac } from '#runtime/crypto.js'
import { percentEncode } from './percent-encode.js'

/** The HMAC signature methods hookseal signs and verifies with. */
export type OAuth1SignatureMethod = 'HMAC-SHA1' | 'HMAC-SHA256'

/**
 * The HMAC of a signature base string (RFC 5849 §3.4.2): the key is the encoded consumer secret
 * and the encoded token secret (empty without a token) joined by `&`.
 */
export function oauth1Signature(
  method: OAuth1SignatureMethod,
  baseString: string,
  consumerSecret: string,
  tokenSecret = '',
): Buffer {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`
  return createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', key)
    .update(baseString)
    .digest()
}
