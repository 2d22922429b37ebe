import { hasRocaFingerprint } from './roca-fingerprint.js'

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

/** The members of a JWK that {@link publicJwkProblem} found well typed. */
export interface PublicJwkMembers {
  readonly kty: 'RSA' | 'EC' | 'OKP'
  readonly alg?: string
  readonly use?: string
  readonly key_ops?: string[]
  readonly crv?: string
}

/**
 * Why a JWK from a sender's JWKS can never verify safely, judged before any import: its type, secret
 * members, ill-typed metadata, an unknown curve. Undefined when it may be imported. Every runtime's
 * key import asks this first, so that a key is refused for the same reason everywhere.
 */
export function publicJwkProblem(jwk: Record<string, unknown>): string | undefined {
  const { kty, alg, use, key_ops: keyOps, crv } = jwk
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') {
    return `key type ${JSON.stringify(kty)} cannot verify signatures`
  }
  if (SECRET_MEMBERS.some((member) => jwk[member] !== undefined)) {
    return 'the JWKS publishes private key material for this key'
  }
  if (alg !== undefined && typeof alg !== 'string') return '"alg" is not a string'
  if (use !== undefined && typeof use !== 'string') return '"use" is not a string'
  if (
    keyOps !== undefined &&
    !(Array.isArray(keyOps) && keyOps.every((op): op is string => typeof op === 'string'))
  ) {
    return '"key_ops" is not an array of strings'
  }
  if (kty !== 'RSA' && (typeof crv !== 'string' || !CURVES[kty]?.includes(crv))) {
    return `curve ${JSON.stringify(crv)} is not supported for ${kty}`
  }
  return undefined
}

/**
 * Why an imported RSA key may not verify: too small, too costly, a bad exponent, or a modulus from
 * the generator behind ROCA. Undefined when it may.
 */
export function rsaKeyProblem(
  modulusLength: number,
  publicExponent: bigint,
  modulus: () => bigint,
): string | undefined {
  if (modulusLength < MIN_RSA_BITS) {
    return `RSA key of ${modulusLength} bits; at least ${MIN_RSA_BITS} are required`
  }
  if (modulusLength > MAX_RSA_BITS) {
    return `RSA key of ${modulusLength} bits; at most ${MAX_RSA_BITS} are accepted`
  }
  if (publicExponent > MAX_PUBLIC_EXPONENT) {
    return `RSA public exponent of ${publicExponent.toString(2).length} bits; at most 2^32 + 1 is accepted`
  }
  if (publicExponent < 3n || publicExponent % 2n === 0n) {
    return `RSA public exponent ${publicExponent} is not valid`
  }
  if (hasRocaFingerprint(modulus())) {
    return 'the RSA key was made by a generator with a known flaw (ROCA)'
  }
  return undefined
}

/** The refusal of an Ed25519 point of small order, under which signatures can be forged. */
export const SMALL_ORDER_PROBLEM =
  'the Ed25519 key is a point of small order, under which signatures can be forged'
