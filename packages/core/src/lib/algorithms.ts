/** Asymmetric JWS algorithms hookseal can verify. HMAC is never accepted: the keys are public. */
export const SUPPORTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const

export type SignatureAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number]

/** What a key must look like to verify one algorithm, and how node:crypto is called for it. */
export interface AlgorithmProfile {
  readonly kty: 'RSA' | 'EC' | 'OKP'
  /** Digest name for crypto.verify; null for EdDSA, which hashes internally. */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null
  readonly crv?: 'P-256' | 'P-384' | 'P-521' | 'Ed25519'
  /** RSA-PSS salt length, fixed by RFC 7518 to the digest size; never auto-detected. */
  readonly pssSaltLength?: number
  /** Exact signature length in bytes where the algorithm fixes one (ECDSA r||s, Ed25519). */
  readonly signatureLength?: number
}

export const ALGORITHM_PROFILES: Readonly<Record<SignatureAlgorithm, AlgorithmProfile>> = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', pssSaltLength: 32 },
  PS384: { kty: 'RSA', hash: 'sha384', pssSaltLength: 48 },
  PS512: { kty: 'RSA', hash: 'sha512', pssSaltLength: 64 },
  ES256: { kty: 'EC', hash: 'sha256', crv: 'P-256', signatureLength: 64 },
  ES384: { kty: 'EC', hash: 'sha384', crv: 'P-384', signatureLength: 96 },
  ES512: { kty: 'EC', hash: 'sha512', crv: 'P-521', signatureLength: 132 },
  EdDSA: { kty: 'OKP', hash: null, crv: 'Ed25519', signatureLength: 64 },
  // RFC 9864's fully specified name for what `EdDSA` means with an Ed25519 key.
  Ed25519: { kty: 'OKP', hash: null, crv: 'Ed25519', signatureLength: 64 },
}

/** `EdDSA` on an Ed25519 key and `Ed25519` (RFC 9864) are one algorithm under two names. */
export function sameAlgorithm(a: string, b: string): boolean {
  return a === b || (isEd25519Name(a) && isEd25519Name(b))
}

function isEd25519Name(value: string): boolean {
  return value === 'EdDSA' || value === 'Ed25519'
}

/** Case-sensitive on purpose: `none`, `None` and `rs256` are simply not algorithms here. */
export function isSupportedAlgorithm(value: unknown): value is SignatureAlgorithm {
  return typeof value === 'string' && Object.hasOwn(ALGORITHM_PROFILES, value)
}
