import { generateKeyPairSync, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'

/** Keys for one Standard Webhooks sender under test. */
export interface StandardWebhooksKeys {
  /** A fresh `whsec_` secret for `v1`. */
  secret: string
  /** A fresh Ed25519 key for `v1a`: the private half signs… */
  privateKey: KeyObject
  /** …and this `whpk_` public half goes into the receiver's configuration. */
  publicKey: string
}

/**
 * Makes a `whsec_` secret and an Ed25519 key pair, in memory only, for tests.
 *
 * @example
 * ```ts
 * const keys = createStandardWebhooksKeys()
 * createVerifier({ senders: [{ scheme: 'standard-webhooks', id: 'billing', secrets: [keys.secret] }] })
 * ```
 */
export function createStandardWebhooksKeys(): StandardWebhooksKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const x = publicKey.export({ format: 'jwk' }).x as string
  return {
    secret: `whsec_${randomBytes(24).toString('base64')}`,
    privateKey,
    publicKey: `whpk_${Buffer.from(x, 'base64url').toString('base64')}`,
  }
}
