import { sign } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { SigningAlgorithm } from './key-set-types.js'

/** Makes a raw JWS signature of a signing input. */
export type SignatureFunction = (signingInput: Buffer) => Buffer

/**
 * Binds a private key to the one way its algorithm signs, with node:crypto on the KeyObject imported
 * at load time: no key import and no WebCrypto round trip per token.
 */
export function signWithKey(alg: SigningAlgorithm, key: KeyObject): SignatureFunction {
  switch (alg) {
    case 'RS256':
      return (input) => sign('sha256', input, key)
    case 'ES256':
      // JWS wants r || s (RFC 7518 §3.4); node:crypto's default is DER, which receivers refuse.
      return (input) => sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' })
    case 'EdDSA':
      return (input) => sign(null, input, key)
  }
}
