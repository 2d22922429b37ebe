/**
 * The crypto seam on runtimes without node:crypto (workerd, Deno, Bun, browsers): signatures through
 * WebCrypto on keys imported once per JWKS fetch, digests and MACs through @noble/hashes so that they
 * stay synchronous where core computes them inline.
 */
import type { webcrypto } from 'node:crypto'
import { hmac } from '@noble/hashes/hmac.js'
import { sha1 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { collectJwkSet } from '../../keys/collect-jwk-set.js'
import {
  publicJwkProblem,
  rsaKeyProblem,
  SMALL_ORDER_PROBLEM,
} from '../../keys/public-jwk-problem.js'
import type { PublicJwkMembers } from '../../keys/public-jwk-problem.js'
import { isSmallOrderPoint } from '../../keys/small-order-point.js'
import { keyEntry } from '../../keys/key-entry.js'
import { ALGORITHM_PROFILES, isSupportedAlgorithm } from '../../lib/algorithms.js'
import type { SignatureAlgorithm } from '../../lib/algorithms.js'

type CryptoKey = webcrypto.CryptoKey
type JsonWebKey = webcrypto.JsonWebKey

/**
 * A public key ready to verify: its public members, and the WebCrypto keys imported from them, one
 * per WebCrypto algorithm (RSA keys are bound to a hash and a padding at import).
 */
export interface PublicKeyHandle {
  readonly jwk: JsonWebKey
  readonly imported: Map<string, Promise<CryptoKey>>
}

interface WebKey extends Omit<PublicJwkMembers, 'key_ops'> {
  readonly kid: string
  readonly keyOps?: readonly string[]
  readonly keyObject: PublicKeyHandle
}

type WebKeySetEntry = WebKey | { readonly kid: string; readonly unusableReason: string }

type HashName = 'sha1' | 'sha256'
type Encoding = 'hex' | 'base64' | 'base64url'

const HASHES = { sha1, sha256 } as const
const WEB_HASH = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' } as const
const encoder = new TextEncoder()

function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data
}

function hashFunction(algorithm: string): (typeof HASHES)[HashName] {
  if (algorithm !== 'sha1' && algorithm !== 'sha256') {
    throw new TypeError(`digest ${algorithm} is not available on this runtime`)
  }
  return HASHES[algorithm]
}

/** A digest or MAC being computed, with the part of node:crypto's Hash and Hmac core uses. */
export interface Digest {
  update(data: string | Uint8Array): Digest
  digest(): Buffer
  digest(encoding: Encoding): string
}

function digestOf(state: { update(data: Uint8Array): unknown; digest(): Uint8Array }): Digest {
  const digest = {
    update(data: string | Uint8Array) {
      state.update(bytesOf(data))
      return digest
    },
    digest(encoding?: Encoding) {
      const bytes = Buffer.from(state.digest())
      return encoding === undefined ? bytes : bytes.toString(encoding)
    },
  }
  return digest as Digest
}

export function createHash(algorithm: HashName): Digest {
  return digestOf(hashFunction(algorithm).create())
}

export function createHmac(algorithm: HashName, key: string | Uint8Array): Digest {
  return digestOf(hmac.create(hashFunction(algorithm), bytesOf(key)))
}

export function hash(algorithm: HashName, data: string | Uint8Array, encoding: Encoding): string {
  return Buffer.from(hashFunction(algorithm)(bytesOf(data))).toString(encoding)
}

/** Compares two MACs in time that depends on their length only; throws on unequal lengths as Node does. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) throw new RangeError('Input buffers must have the same byte length')
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number)
  return difference === 0
}

interface WebAlgorithm {
  /** Which imported key serves this algorithm. */
  readonly slot: string
  readonly importParams: Parameters<SubtleCrypto['importKey']>[2]
  readonly verifyParams: Parameters<SubtleCrypto['verify']>[0]
}

type SubtleCrypto = webcrypto.SubtleCrypto

function webAlgorithm(alg: SignatureAlgorithm): WebAlgorithm {
  const profile = ALGORITHM_PROFILES[alg]
  const hashName = profile.hash === null ? undefined : WEB_HASH[profile.hash]
  switch (profile.kty) {
    case 'RSA':
      return profile.pssSaltLength === undefined
        ? {
            slot: `RSASSA-PKCS1-v1_5/${hashName}`,
            importParams: { name: 'RSASSA-PKCS1-v1_5', hash: hashName as string },
            verifyParams: { name: 'RSASSA-PKCS1-v1_5' },
          }
        : {
            slot: `RSA-PSS/${hashName}`,
            importParams: { name: 'RSA-PSS', hash: hashName as string },
            verifyParams: { name: 'RSA-PSS', saltLength: profile.pssSaltLength },
          }
    case 'EC':
      return {
        slot: 'ECDSA',
        importParams: { name: 'ECDSA', namedCurve: profile.crv as string },
        verifyParams: { name: 'ECDSA', hash: hashName as string },
      }
    case 'OKP':
      return {
        slot: 'Ed25519',
        importParams: { name: 'Ed25519' },
        verifyParams: { name: 'Ed25519' },
      }
  }
}

function subtle(): SubtleCrypto {
  return (globalThis.crypto as webcrypto.Crypto).subtle
}

function cryptoKeyFor(key: PublicKeyHandle, algorithm: WebAlgorithm): Promise<CryptoKey> {
  let imported = key.imported.get(algorithm.slot)
  if (imported === undefined) {
    imported = subtle().importKey('jwk', key.jwk, algorithm.importParams, false, ['verify'])
    key.imported.set(algorithm.slot, imported)
  }
  return imported
}

/**
 * Checks a JWS signature with WebCrypto. Resolves false for any signature that does not verify,
 * including ones WebCrypto refuses to parse. WebCrypto is asynchronous whether or not other
 * verifications are in flight, so `_othersInFlight` changes nothing here.
 */
export async function verifySignature(
  alg: SignatureAlgorithm,
  key: PublicKeyHandle,
  signingInput: Uint8Array,
  signature: Uint8Array,
  _othersInFlight = false,
): Promise<boolean> {
  const profile = ALGORITHM_PROFILES[alg]
  if (profile.signatureLength !== undefined && signature.length !== profile.signatureLength) {
    return false
  }
  const algorithm = webAlgorithm(alg)
  try {
    const cryptoKey = await cryptoKeyFor(key, algorithm)
    return await subtle().verify(algorithm.verifyParams, cryptoKey, signature, signingInput)
  } catch {
    return false
  }
}

/** The algorithm a key is first imported for, which proves it importable at all. */
function firstAlgorithm(members: PublicJwkMembers): SignatureAlgorithm {
  if (isSupportedAlgorithm(members.alg) && ALGORITHM_PROFILES[members.alg].kty === members.kty) {
    return members.alg
  }
  if (members.kty === 'RSA') return 'RS256'
  if (members.kty === 'OKP') return 'EdDSA'
  return members.crv === 'P-384' ? 'ES384' : members.crv === 'P-521' ? 'ES512' : 'ES256'
}

/** Only the public members: WebCrypto checks `alg`, `use` and `key_ops` against its own rules. */
function publicMembers(jwk: Record<string, unknown>, kty: PublicJwkMembers['kty']): JsonWebKey {
  if (kty === 'RSA') return { kty, n: jwk.n as string, e: jwk.e as string }
  if (kty === 'EC') return { kty, crv: jwk.crv as string, x: jwk.x as string, y: jwk.y as string }
  return { kty, crv: jwk.crv as string, x: jwk.x as string }
}

function bitLength(bytes: Uint8Array): number {
  let start = 0
  while (start < bytes.length && bytes[start] === 0) start++
  if (start === bytes.length) return 0
  return (bytes.length - start - 1) * 8 + (bytes[start] as number).toString(2).length
}

function unsigned(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`)
}

/**
 * Imports one JWK from a sender's JWKS into WebCrypto, once per fetch, refusing the same keys for
 * the same reasons as the node:crypto import.
 */
export async function importJwk(
  jwk: Record<string, unknown>,
  kid: string,
): Promise<WebKeySetEntry> {
  const unusable = (unusableReason: string): WebKeySetEntry => ({ kid, unusableReason })
  const problem = publicJwkProblem(jwk)
  if (problem !== undefined) return unusable(problem)
  // publicJwkProblem has checked the type and the metadata's types.
  const members = jwk as unknown as PublicJwkMembers
  const { kty } = members

  const keyObject: PublicKeyHandle = { jwk: publicMembers(jwk, kty), imported: new Map() }
  try {
    await cryptoKeyFor(keyObject, webAlgorithm(firstAlgorithm(members)))
  } catch (cause) {
    return unusable(`the key cannot be imported: ${(cause as Error).message}`)
  }

  if (kty === 'RSA') {
    const modulus = Buffer.from(String(jwk.n), 'base64url')
    const rsaProblem = rsaKeyProblem(
      bitLength(modulus),
      unsigned(Buffer.from(String(jwk.e), 'base64url')),
      () => unsigned(modulus),
    )
    if (rsaProblem !== undefined) return unusable(rsaProblem)
  }

  if (kty === 'OKP' && isSmallOrderPoint(Buffer.from(String(jwk.x), 'base64url'))) {
    return unusable(SMALL_ORDER_PROBLEM)
  }

  return keyEntry(kid, members, keyObject)
}

/** Imports a parsed JWKS document into WebCrypto keys; every key is imported before it resolves. */
export async function importJwkSet(
  document: unknown,
  maxKeys: number,
): Promise<ReadonlyMap<string, WebKeySetEntry>> {
  const pending = collectJwkSet(document, maxKeys, importJwk)
  const entries = new Map<string, WebKeySetEntry>()
  for (const [kid, entry] of pending) entries.set(kid, await entry)
  return entries
}

/** The Ed25519 public key of 32 raw bytes (a Standard Webhooks `whpk_` key), imported on first use. */
export function importEd25519Key(raw: Uint8Array): PublicKeyHandle {
  return {
    jwk: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    imported: new Map(),
  }
}

/** Checks an Ed25519 signature with WebCrypto. */
export function verifyEd25519(
  content: Uint8Array,
  key: PublicKeyHandle,
  signature: Uint8Array,
): Promise<boolean> {
  return verifySignature('EdDSA', key, content, signature)
}
