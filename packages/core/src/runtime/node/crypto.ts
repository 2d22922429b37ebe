/**
 * The crypto seam on Node: node:crypto itself, on KeyObjects imported once per JWKS fetch. A lone
 * verification stays synchronous; callers await only what returns as a promise.
 */
import { createPublicKey, verify } from 'node:crypto'
import { availableParallelism } from 'node:os'
import type { KeyObject } from 'node:crypto'
import { importJwk as importJwkObject } from '../../keys/import-jwk.js'
import { importJwkSet as importJwkObjectSet } from '../../keys/import-jwk-set.js'
import type { ImportedKeySet } from '../../keys/import-jwk-set.js'
import type { KeySetEntry } from '../../keys/verification-key.js'
import {
  verifySignature as verifyWithKeyObject,
  verifySignatureInPool,
} from '../../lib/verify-signature.js'
import type { SignatureAlgorithm } from '../../lib/algorithms.js'

export { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto'

/** A public key ready to verify: a node:crypto KeyObject. */
export type PublicKeyHandle = KeyObject

/**
 * Most signature checks handed to libuv's thread pool at once: one per core the pool can run on,
 * leaving a core for the event loop, which checks the rest itself meanwhile. On one core, none.
 */
const POOL_SHARE = Math.max(
  0,
  Math.min(availableParallelism(), threadPoolSize(process.env.UV_THREADPOOL_SIZE)) - 1,
)
/** Checks in the thread pool now. */
let pooled = 0

/** libuv's pool size as it reads `UV_THREADPOOL_SIZE`: 4 unless set to 1–1024. */
function threadPoolSize(setting: string | undefined): number {
  const size = Number(setting)
  return Number.isInteger(size) && size >= 1 ? Math.min(size, 1024) : 4
}

function leavePool(verified: boolean): boolean {
  pooled--
  return verified
}

/**
 * Checks a JWS signature. Alone, synchronously: a lone webhook waits for nothing but its own check.
 * With other verifications in flight, on the thread pool while it has a free core, so that the
 * event loop parses, hashes and answers the others meanwhile, and every core verifies.
 */
export function verifySignature(
  alg: SignatureAlgorithm,
  key: PublicKeyHandle,
  signingInput: Buffer,
  signature: Buffer,
  othersInFlight = false,
): boolean | Promise<boolean> {
  if (!othersInFlight || pooled >= POOL_SHARE) {
    return verifyWithKeyObject(alg, key, signingInput, signature)
  }
  pooled++
  return verifySignatureInPool(alg, key, signingInput, signature).then(leavePool)
}

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
