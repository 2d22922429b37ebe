import { ALGORITHM_PROFILES, sameAlgorithm } from '../lib/algorithms.js'
import type { SignatureAlgorithm } from '../lib/algorithms.js'
import type { VerificationKey } from './verification-key.js'

/**
 * Why this key may not verify a token signed with `alg`, or undefined when it may. Binding every key
 * to one algorithm family is what stops key-confusion attacks (an RSA key used as an HMAC secret,
 * a PS key used for RS, an encryption key used for signatures).
 */
export function keyMisfitReason(key: VerificationKey, alg: SignatureAlgorithm): string | undefined {
  const profile = ALGORITHM_PROFILES[alg]
  if (key.kty !== profile.kty) return `a ${key.kty} key cannot verify ${alg}`
  if (profile.crv !== undefined && key.crv !== profile.crv) {
    return `a ${key.crv} key cannot verify ${alg}`
  }
  if (key.alg !== undefined && !sameAlgorithm(key.alg, alg))
    return `the key is for ${key.alg}, not ${alg}`
  if (key.use !== undefined && key.use !== 'sig') return `the key's use is "${key.use}", not "sig"`
  if (key.keyOps !== undefined && !key.keyOps.includes('verify')) {
    return 'the key\'s key_ops do not include "verify"'
  }
  return undefined
}
