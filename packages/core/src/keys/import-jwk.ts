import { createPublicKey } from 'node:crypto'
import type { JsonWebKey as NodeJsonWebKey } from 'node:crypto'
import { hasRocaFingerprint } from './roca-fingerprint.js'
import { isSmallOrderPoint } from './small-order-point.js'
import type { KeySetEntry } from './verification-key.js'

const MIN_RSA_BITS = 2048
/**
 * Verification costs grow with the modulus size and the exponent's bit length, and an
 * unauthenticated request pays for one verification: these bounds keep that cost within a few times
 * that of a 2048-bit key with e = 65537. FIPS 186-5 bounds e by 2^256; nobody uses more than 32 bits.
 */
const MAX_RSA_BITS = 8192
const MAX_PUBLIC_EXPONENT = 2n ** 32n + 1n
/** Members that only a private or symmetric key has; a JWKS that publishes them is leaking a secret. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
const CURVES: Readonly<Record<string, readonly string[]>> = {
  EC: ['P-256', 'P-384', 'P-521'],
  OKP: ['Ed25519'],
}

/**
 * Imports one JWK from a sender's JWKS into a node:crypto KeyObject, once per fetch. Keys that can
 * never verify safely (secret material, RSA under 2048 bits, a bad exponent, an unknown curve, an
 * Ed25519 point of small order) or that would make each verification costly (RSA over 8192 bits, an
 * exponent over 2^32 + 1) are kept as unusable so that a token naming them gets a precise refusal.
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
    if (modulusLength > MAX_RSA_BITS) {
      return unusable(`RSA key of ${modulusLength} bits; at most ${MAX_RSA_BITS} are accepted`)
    }
    if (publicExponent > MAX_PUBLIC_EXPONENT) {
      return unusable(
        `RSA public exponent of ${publicExponent.toString(2).length} bits; at most 2^32 + 1 is accepted`,
      )
    }
    if (publicExponent < 3n || publicExponent % 2n === 0n) {
      return unusable(`RSA public exponent ${publicExponent} is not valid`)
    }
    const modulus = BigInt(`0x${Buffer.from(String(jwk.n), 'base64url').toString('hex')}`)
    if (hasRocaFingerprint(modulus)) {
      return unusable('the RSA key was made by a generator with a known flaw (ROCA)')
    }
  }

  if (kty === 'OKP' && isSmallOrderPoint(Buffer.from(String(jwk.x), 'base64url'))) {
    return unusable(
      'the Ed25519 key is a point of small order, under which signatures can be forged',
    )
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
