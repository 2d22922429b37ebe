import { importEd25519Key } from '#runtime/crypto.js'
import type { PublicKeyHandle } from '#runtime/crypto.js'

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

function decodeBase64(value: string, prefix: string, what: string): Buffer {
  const text = value.startsWith(prefix) ? value.slice(prefix.length) : value
  if (!BASE64.test(text)) throw new TypeError(`a ${what} must be ${prefix} followed by base64`)
  const bytes = Buffer.from(text, 'base64')
  if (bytes.length === 0) throw new TypeError(`a ${what} must not be empty`)
  return bytes
}

/**
 * The HMAC key of a `whsec_` secret. Unpadded base64 and a missing prefix are accepted, as the
 * official libraries accept them.
 */
export function decodeSecret(secret: unknown): Buffer {
  if (typeof secret !== 'string') throw new TypeError('a Standard Webhooks secret must be a string')
  return decodeBase64(secret, 'whsec_', 'Standard Webhooks secret')
}

/** The Ed25519 public key of a `whpk_` key (the 32 raw bytes in base64). */
export function decodePublicKey(publicKey: unknown): PublicKeyHandle {
  if (typeof publicKey !== 'string') {
    throw new TypeError('a Standard Webhooks public key must be a string')
  }
  const raw = decodeBase64(publicKey, 'whpk_', 'Standard Webhooks public key')
  if (raw.length !== 32) throw new TypeError('a whpk_ key must hold 32 bytes of Ed25519 public key')
  return importEd25519Key(raw)
}
