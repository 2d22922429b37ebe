import type { JsonWebKey } from 'node:crypto'
import type { SignatureAlgorithm } from '../lib/algorithms.js'

/**
 * Algorithms a key set signs with, one per key type: RSA → `RS256`, P-256 → `ES256`, Ed25519 →
 * `EdDSA`. Receivers accept `RS256` by default; the others must be on their `algorithms` list.
 */
export type SigningAlgorithm = Extract<SignatureAlgorithm, 'RS256' | 'ES256' | 'EdDSA'>

/**
 * Where a key is in its life: `next` is published and not yet used, so that receivers know it before
 * it signs; `active` signs (exactly one key is active); `retired` no longer signs and stays
 * published until every token it signed can no longer be accepted.
 */
export type SigningKeyState = 'next' | 'active' | 'retired'

/**
 * Where a private key comes from; exactly one member. A file or environment variable may hold PEM
 * (PKCS#8, PKCS#1 or SEC1) or a private JWK as JSON: the format is detected.
 */
export type PrivateKeySource =
  | { pem: string; jwk?: never; file?: never; env?: never }
  | { jwk: JsonWebKey | string; pem?: never; file?: never; env?: never }
  | { file: string | URL; pem?: never; jwk?: never; env?: never }
  | { env: string; pem?: never; jwk?: never; file?: never }

/** How a key is known and used, besides where it comes from. */
export interface SigningKeySettings {
  /**
   * The key id published in the JWKS and sent in each token's header.
   * @default the JWK's own `kid`, else its RFC 7638 thumbprint (SHA-256)
   */
  kid?: string
  /**
   * The only algorithm this key signs with; it must fit the key type.
   * @default the JWK's own `alg`, else `RS256` for RSA, `ES256` for P-256, `EdDSA` for Ed25519
   */
  alg?: SigningAlgorithm
  /**
   * The key's state. Exactly one key of a set is `active`, at most one is `next`.
   * @default 'active'
   */
  state?: SigningKeyState
  /**
   * For a `retired` key: when it stopped signing, in ms since the epoch (or a `Date`). It stays
   * published for the set's retirement window after this.
   * @default when the key is loaded
   */
  retiredAt?: number | Date
}

/**
 * One key for {@link loadKeySet}.
 *
 * @example
 * ```ts
 * { file: '/run/secrets/webhook-key.pem', state: 'active' }
 * { env: 'WEBHOOK_NEXT_KEY', state: 'next' }
 * { jwk: privateJwk, kid: '2026-06', alg: 'ES256', state: 'retired', retiredAt: Date.parse('2026-06-01') }
 * ```
 */
export type SigningKeyInput = PrivateKeySource & SigningKeySettings

/**
 * A key added to a running set with {@link SigningKeySet.add}: never `active` at once, so that
 * receivers can see it in the JWKS before it signs.
 */
export type AddSigningKeyInput = PrivateKeySource &
  Omit<SigningKeySettings, 'state'> & {
    /** @default 'next' */
    state?: 'next' | 'retired'
  }

/** Options of {@link loadKeySet}. */
export interface LoadKeySetOptions {
  /** The private keys: exactly one `active`, at most one `next`, any number `retired`. */
  keys: readonly SigningKeyInput[]
  /**
   * The longest lifetime (`exp` − `iat`) of any token signed with this set, in seconds. A signer
   * refuses an `expiresIn` above it, so that a retired key is never dropped while its tokens live.
   * @default 300
   */
  maxTokenLifetime?: number
  /**
   * The clock tolerance receivers allow, in seconds (hookseal's verifier: 30 by default). A token
   * stays acceptable this long past its `exp`, and so stays its key.
   * @default 30
   */
  clockTolerance?: number
}

/** What operators can see of a key: never any key material. */
export interface SigningKeyInfo {
  readonly kid: string
  readonly alg: SigningAlgorithm
  readonly state: SigningKeyState
  /** When the key joined the set, in ms since the epoch. */
  readonly addedAt: number
  /** When the key was retired, in ms since the epoch; `retired` keys only. */
  readonly retiredAt?: number
  /** When the key leaves the JWKS, in ms since the epoch; `retired` keys only. */
  readonly publishedUntil?: number
}

/** The public part of a signing key, as published: no private member can appear here. */
export type PublicSigningJwk = { readonly kid: string; readonly use: 'sig' } & (
  | { readonly kty: 'RSA'; readonly n: string; readonly e: string; readonly alg: 'RS256' }
  | {
      readonly kty: 'EC'
      readonly crv: 'P-256'
      readonly x: string
      readonly y: string
      readonly alg: 'ES256'
    }
  | { readonly kty: 'OKP'; readonly crv: 'Ed25519'; readonly x: string; readonly alg: 'EdDSA' }
)

/** A JSON Web Key Set of public signing keys, ready to serve as `application/jwk-set+json`. */
export interface PublicJwks {
  readonly keys: readonly PublicSigningJwk[]
}

/**
 * The sender's private keys and their states; made by {@link loadKeySet}. Private keys never leave
 * it: only a signer made by `createSigner` can sign with them.
 *
 * @example
 * ```ts
 * // Once a month: switch to the key published a month ago, then publish the one after it.
 * keys.rotate()
 * await keys.add({ file: `/run/secrets/webhook-key-${nextMonth}.pem` })
 * log.info({ keys: keys.keys() }, 'webhook signing keys rotated')
 * ```
 */
export interface SigningKeySet {
  /** The longest token lifetime a signer may use with this set, in seconds. */
  readonly maxTokenLifetime: number
  /** The receivers' clock tolerance the retirement window allows for, in seconds. */
  readonly clockTolerance: number
  /**
   * The public keys to publish at the JWKS URL: the active key first, then the next key, then the
   * retired keys still within their window. A fresh object on every call.
   */
  jwks(): PublicJwks
  /** Every key still in the set, with its state and dates, for logs and health checks. */
  keys(): SigningKeyInfo[]
  /**
   * Promotes the `next` key to `active` and retires the active key; returns the new active key.
   * Throws, changing nothing, when there is no `next` key.
   */
  rotate(): SigningKeyInfo
  /**
   * Loads one more key into the running set, as `next` unless said otherwise. Rejects with a
   * `TypeError`, changing nothing, for a key that cannot be used or whose kid is taken, or for a
   * second `next` key.
   */
  add(key: AddSigningKeyInput): Promise<SigningKeyInfo>
  /**
   * Drops a `next` or `retired` key at once, e.g. one that leaked; returns false when no key has
   * this kid. The active key cannot be removed: rotate first.
   */
  remove(kid: string): boolean
}
