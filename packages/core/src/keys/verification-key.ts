import type { PublicKeyHandle } from '#runtime/crypto.js'

/**
 * A public key from a sender's JWKS, imported once (a node:crypto KeyObject on Node, WebCrypto keys
 * elsewhere) and kept with its metadata.
 */
export interface VerificationKey {
  readonly kid: string
  readonly kty: 'RSA' | 'EC' | 'OKP'
  readonly alg?: string
  readonly use?: string
  readonly keyOps?: readonly string[]
  readonly crv?: string
  readonly keyObject: PublicKeyHandle
}

/** A JWKS entry that carries a kid but can never verify anything; the reason says why. */
export interface UnusableKey {
  readonly kid: string
  readonly unusableReason: string
}

export type KeySetEntry = VerificationKey | UnusableKey

export function isUsable(entry: KeySetEntry): entry is VerificationKey {
  return 'keyObject' in entry
}
