import { constants, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { ALGORITHM_PROFILES } from './algorithms.js'
import type { SignatureAlgorithm } from './algorithms.js'

const RSA_PADDING = {
  pkcs1: constants.RSA_PKCS1_PADDING,
  pss: constants.RSA_PKCS1_PSS_PADDING,
} as const

/**
 * Checks a JWS signature synchronously with node:crypto on an already imported key. This is the hot
 * path: no key import, no WebCrypto round trip. Returns false for any signature that does not
 * verify, including ones OpenSSL refuses to parse.
 */
export function verifySignature(
  alg: SignatureAlgorithm,
  key: KeyObject,
  signingInput: Buffer,
  signature: Buffer,
): boolean {
  const profile = ALGORITHM_PROFILES[alg]
  if (profile.signatureLength !== undefined && signature.length !== profile.signatureLength) {
    return false
  }
  try {
    switch (profile.kty) {
      case 'RSA':
        return verify(
          profile.hash,
          signingInput,
          profile.pssSaltLength === undefined
            ? { key, padding: RSA_PADDING.pkcs1 }
            : { key, padding: RSA_PADDING.pss, saltLength: profile.pssSaltLength },
          signature,
        )
      case 'EC':
        return verify(profile.hash, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature)
      case 'OKP':
        return verify(null, signingInput, key, signature)
    }
  } catch {
    return false
  }
}
