import { constants, verify } from 'node:crypto'
import type { KeyObject, VerifyKeyObjectInput, VerifyPublicKeyInput } from 'node:crypto'
import { ALGORITHM_PROFILES } from './algorithms.js'
import type { SignatureAlgorithm } from './algorithms.js'

const RSA_PADDING = {
  pkcs1: constants.RSA_PKCS1_PADDING,
  pss: constants.RSA_PKCS1_PSS_PADDING,
} as const

/** What node:crypto's `verify` takes for `alg`: its digest, and the key with its options. */
interface VerifyCall {
  readonly hash: string | null
  readonly key: KeyObject | VerifyKeyObjectInput | VerifyPublicKeyInput
}

/**
 * The arguments of the check, or undefined for a signature of the wrong length, which no key can
 * verify and which is not worth a trip to OpenSSL.
 */
function verifyCall(
  alg: SignatureAlgorithm,
  key: KeyObject,
  signature: Buffer,
): VerifyCall | undefined {
  const profile = ALGORITHM_PROFILES[alg]
  if (profile.signatureLength !== undefined && signature.length !== profile.signatureLength) {
    return undefined
  }
  switch (profile.kty) {
    case 'RSA':
      return {
        hash: profile.hash,
        key:
          profile.pssSaltLength === undefined
            ? { key, padding: RSA_PADDING.pkcs1 }
            : { key, padding: RSA_PADDING.pss, saltLength: profile.pssSaltLength },
      }
    case 'EC':
      return { hash: profile.hash, key: { key, dsaEncoding: 'ieee-p1363' } }
    case 'OKP':
      return { hash: null, key }
  }
}

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
  const call = verifyCall(alg, key, signature)
  if (call === undefined) return false
  try {
    return verify(call.hash, signingInput, call.key, signature)
  } catch {
    return false
  }
}

/**
 * The same check on libuv's thread pool (node:crypto's callback form), so that the event loop goes
 * on with other work meanwhile: same arguments, same verdicts, false for anything OpenSSL refuses,
 * whether it refuses at once or in the pool.
 */
export function verifySignatureInPool(
  alg: SignatureAlgorithm,
  key: KeyObject,
  signingInput: Buffer,
  signature: Buffer,
): Promise<boolean> {
  const call = verifyCall(alg, key, signature)
  if (call === undefined) return Promise.resolve(false)
  return new Promise((resolve) => {
    try {
      verify(call.hash, signingInput, call.key, signature, (error, verified) =>
        resolve(!error && verified),
      )
    } catch {
      resolve(false)
    }
  })
}
