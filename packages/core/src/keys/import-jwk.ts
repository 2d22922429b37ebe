import { createPublicKey } from 'node:crypto'
import type { JsonWebKey as NodeJsonWebKey } from 'node:crypto'
import { hasRocaFingerprint } from './roca-fingerprint.js'
import type { KeySetEntry } from './verification-key.js'

const MIN_RSA_BITS = 2048
/** Members that only a private or symmetric key has; a JWKS that publishes them is leaking a secret. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
const CURVES: Readonly<Record<string, readonly string[]>> = {
  EC: ['P-256', 'P-384', 'P-521'],
  OKP: ['Ed25519'],
}

/**
 * Imports one JWK from a sender's JWKS into a node:crypto KeyObject, once per fetch. Keys that can
 * never verify safely (secret material, RSA under 2048 bits, a bad exponent, an unknown curve) are
 * kept as unusable so that a token naming them gets a precise refusal.
 */
export function importJwk(jwk: Record<string, unknown>, kid: string): KeySetEntry {
  const unusable = (unusableReason: string): KeySetEntry => ({ kid, unusableReason })
  const { kty, alg, use, key_ops: keyOps, crv } = jwk

  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') {
    return unusable(`key type ${JSON.stringify(kty)} cannot verify signatures`)
  }
  if (SECRET_MEMBERS.some((member) => jwk[member] !== undefined)) {
    return unusable('the JWKS publishes private key material for this key')
  }
  if (alg !== undefined && typeof alg !== 'string') return unusable('"alg" is not a string')
  if (use !== undefined && typeof use !== 'string') return unusable('"use" is not a string')
  if (
    keyOps !== undefined &&
    !(Array.isArray(keyOps) && keyOps.every((op): op is string => typeof op === 'string'))
  ) {
    return unusable('"key_ops" is not an array of strings')
  }
  if (kty !== 'RSA' && (typeof crv !== 'string' || !CURVES[kty]?.includes(crv))) {
    return unusable(`curve ${JSON.stringify(crv)} is not supported for ${kty}`)
  }

  let keyObject
  try {
    keyObject = createPublicKey({ key: jwk as NodeJsonWebKey, format: 'jwk' })
  } catch (cause) {
    return unusable(`the key cannot be imported: ${(cause as Error).message}`)
  }

  if (kty === 'RSA') {
    const { modulusLength = 0, publicExponent = 0n } = keyObject.asymmetricKeyDetails ?? {}
    if (modulusLength < MIN_RSA_BITS) {
      return unusable(`RSA key of ${modulusLength} bits; at least ${MIN_RSA_BITS} are required`)
    }
    if (publicExponent < 3n || publicExponent % 2n === 0n) {
      return unusable(`RSA public exponent ${publicExponent} is not valid`)
    }
    const modulus = BigInt(`0x${Buffer.from(String(jwk.n), 'base64url').toString('hex')}`)
    if (hasRocaFingerprint(modulus)) {
      return unusable('the RSA key was made by a generator with a known flaw (ROCA)')
    }
  }

  return {
    kid,
    kty,
    keyObject,
    ...(alg === undefined ? {} : { alg }),
    ...(use === undefined ? {} : { use }),
    ...(keyOps === undefined ? {} : { keyOps: keyOps as string[] }),
    ...(typeof crv === 'string' ? { crv } : {}),
  }
}
