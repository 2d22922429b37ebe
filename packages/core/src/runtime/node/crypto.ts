/**
 * The crypto seam on Node: node:crypto itself, on KeyObjects imported once per JWKS fetch. Verifying
 * stays synchronous here; callers await only what another runtime returns as a promise.
 */
import { createPublicKey, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { importJwk as importJwkObject } from '../../keys/import-jwk.js'
import { importJwkSet as importJwkObjectSet } from '../../keys/import-jwk-set.js'
import type { ImportedKeySet } from '../../keys/import-jwk-set.js'
import type { KeySetEntry } from '../../keys/verification-key.js'
import { verifySignature as verifyWithKeyObject } from '../../lib/verify-signature.js'
import type { SignatureAlgorithm } from '../../lib/algorithms.js'

export { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto'

/** A public key ready to verify: a node:crypto KeyObject. */
export type PublicKeyHandle = KeyObject

/** Checks a JWS signature; synchronous on Node. */
export const verifySignature: (
  alg: SignatureAlgorithm,
  key: PublicKeyHandle,
  signingInput: Buffer,
  signature: Buffer,
) => boolean | Promise<boolean> = verifyWithKeyObject

/** Imports one JWK; synchronous on Node. */
export const importJwk: (
  jwk: Record<string, unknown>,
  kid: string,
) => KeySetEntry | Promise<KeySetEntry> = importJwkObject

/** Imports a JWK Set; synchronous on Node. */
export const importJwkSet: (
  document: unknown,
  maxKeys: number,
) => ImportedKeySet | Promise<ImportedKeySet> = importJwkObjectSet

/** The Ed25519 public key of 32 raw bytes (a Standard Webhooks `whpk_` key). */
export function importEd25519Key(raw: Buffer): PublicKeyHandle {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  })
}

/** Checks an Ed25519 signature; synchronous on Node. */
export function verifyEd25519(
  content: Uint8Array,
  key: PublicKeyHandle,
  signature: Uint8Array,
): boolean | Promise<boolean> {
  return verify(null, content, key, signature)
}
