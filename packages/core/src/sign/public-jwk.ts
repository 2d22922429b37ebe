import { createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { PublicSigningJwk, SigningAlgorithm } from './key-set-types.js'

/** The members RFC 7638 hashes for a thumbprint, and the only key members ever published. */
export type PublicKeyMembers =
  | { kty: 'RSA'; n: string; e: string }
  | { kty: 'EC'; crv: 'P-256'; x: string; y: string }
  | { kty: 'OKP'; crv: 'Ed25519'; x: string }

/**
 * The public members of a private key whose algorithm is known, picked by name from the derived
 * public key: whatever else the input JWK or Node's export carry can never reach a JWKS.
 */
export function publicKeyMembers(privateKey: KeyObject, alg: SigningAlgorithm): PublicKeyMembers {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' })
  const text = (member: string | undefined): string => String(member)
  switch (alg) {
    case 'RS256':
      return { kty: 'RSA', n: text(jwk.n), e: text(jwk.e) }
    case 'ES256':
      return { kty: 'EC', crv: 'P-256', x: text(jwk.x), y: text(jwk.y) }
    case 'EdDSA':
      return { kty: 'OKP', crv: 'Ed25519', x: text(jwk.x) }
  }
}

/** The JWK a JWKS publishes for one signing key, frozen so that no caller can add to it. */
export function publicSigningJwk(
  members: PublicKeyMembers,
  kid: string,
  alg: SigningAlgorithm,
): PublicSigningJwk {
  return Object.freeze({ ...members, kid, alg, use: 'sig' }) as PublicSigningJwk
}
