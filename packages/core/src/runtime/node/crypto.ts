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
import { createPlaces } from '../../lib/create-places.js'

export { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto'

/** A public key ready to verify: a node:crypto KeyObject. */
export type PublicKeyHandle = KeyObject

/**
 * Most signature checks in libuv's thread pool at once: four per pool thread. A thread that ends
 * a check then finds the next one waiting in the pool's own queue, instead of idling until the
 * event loop has collected the result and sent another (on 2 cores, 2 checks at a time ran no
 * faster than checking inline; 16 ran 1.4 times as fast). The cap keeps the pool's queue short
 * for the file system and DNS work that shares it. On one core, none: the pool would add its
 * round trip and no parallelism.
 */
const POOL_SHARE =
  availableParallelism() > 1 ? 4 * threadPoolSize(process.env.UV_THREADPOOL_SIZE) : 0
/** Places in the thread pool for signature checks, shared by every verifier of the process. */
const pool = createPlaces(POOL_SHARE)

/** libuv's pool size as it reads `UV_THREADPOOL_SIZE`: 4 unless set to 1–1024. */
function threadPoolSize(setting: string | undefined): number {
  const size = Number(setting)
  return Number.isInteger(size) && size >= 1 ? Math.min(size, 1024) : 4
}

/** Gives a finished check's place in the pool to the next one waiting, if any. */
function leavePool(verified: boolean): boolean {
  pool.leave()
  return verified
}

/**
 * Checks a JWS signature. Alone, synchronously: a lone webhook waits for nothing but its own check.
 * With other verifications in flight, in the thread pool, up to four checks per pool thread, the
 * others queued behind them: the event loop parses, hashes and answers meanwhile, and every core
 * verifies. (Were the event loop to check the overflow itself, its microtasks would go from one
 * verification to the next without ever collecting what the pool has finished.)
 */
export function verifySignature(
  alg: SignatureAlgorithm,
  key: PublicKeyHandle,
  signingInput: Buffer,
  signature: Buffer,
  othersInFlight = false,
): boolean | Promise<boolean> {
  if (!othersInFlight || POOL_SHARE === 0) {
    return verifyWithKeyObject(alg, key, signingInput, signature)
  }
  if (pool.take()) {
    return verifySignatureInPool(alg, key, signingInput, signature).then(leavePool)
  }
  return pool
    .wait()
    .then(() => verifySignatureInPool(alg, key, signingInput, signature))
    .then(leavePool)
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
