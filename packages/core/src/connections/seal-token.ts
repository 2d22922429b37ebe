import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { ConnectionError } from './connection-error.js'

/** One AES-256-GCM key with the id stored beside everything it seals. */
export interface ConnectionEncryptionKey {
  /** Stored with each ciphertext, so that the right key is found after a rotation. */
  readonly id: string
  /** 32 bytes: a Buffer/Uint8Array, or the same bytes as base64 or base64url text. */
  readonly key: Uint8Array | string
}

/** Seals and opens tokens at rest; the first key seals, any key opens. */
export interface TokenSeal {
  seal(plaintext: string, context: string): string
  open(sealed: string, context: string): string
}

const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/
const VERSION = 'v1'

function keyBytes(key: Uint8Array | string, where: string): Buffer {
  const bytes =
    typeof key === 'string'
      ? Buffer.from(key, 'base64url')
      : key instanceof Uint8Array
        ? Buffer.from(key)
        : undefined
  if (bytes?.length !== 32) {
    throw new TypeError(`createConnections: ${where}.key must be 32 bytes (AES-256)`)
  }
  return bytes
}

/**
 * Builds the token seal from `encryptionKeys`: AES-256-GCM with a fresh 96-bit IV per value, the
 * key id in the clear before it, and the customer and field bound as additional data, so that a
 * token copied onto another customer's record (or into another field) fails to open.
 *
 * @throws TypeError when the list is empty, an id repeats or is not 1–64 of `[A-Za-z0-9_-]`, or a
 *   key is not 32 bytes.
 *
 * @example
 * ```ts
 * const seal = createTokenSeal([{ id: '2026-03', key: process.env.CONNECTION_KEY! }])
 * const stored = seal.seal(refreshToken, 'acme/refresh')
 * ```
 */
export function createTokenSeal(keys: readonly ConnectionEncryptionKey[]): TokenSeal {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new TypeError('createConnections: encryptionKeys must list at least one key')
  }
  const byId = new Map<string, Buffer>()
  keys.forEach((entry: ConnectionEncryptionKey, index) => {
    const where = `encryptionKeys[${index}]`
    if (typeof entry !== 'object' || entry === null || !KEY_ID.test(String(entry.id))) {
      throw new TypeError(`createConnections: ${where}.id must be 1 to 64 of [A-Za-z0-9_-]`)
    }
    if (byId.has(entry.id)) throw new TypeError(`createConnections: ${where}.id repeats`)
    byId.set(entry.id, keyBytes(entry.key, where))
  })
  const [first] = keys as [ConnectionEncryptionKey]
  const sealingId = first.id
  const sealingKey = byId.get(sealingId) as Buffer

  return {
    seal(plaintext, context) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', sealingKey, iv)
      cipher.setAAD(Buffer.from(`${sealingId}.${context}`))
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      const parts = [iv, body, cipher.getAuthTag()].map((part) => part.toString('base64url'))
      return [VERSION, sealingId, ...parts].join('.')
    },
    open(sealed, context) {
      const [version, id, iv, body, tag, extra] = String(sealed).split('.')
      const key = id === undefined ? undefined : byId.get(id)
      if (version !== VERSION || extra !== undefined || iv === undefined || body === undefined) {
        throw new ConnectionError('ERR_CONNECTION_UNREADABLE', 'a stored token is malformed')
      }
      if (key === undefined || tag === undefined) {
        throw new ConnectionError(
          'ERR_CONNECTION_UNREADABLE',
          `a stored token was sealed with key ${JSON.stringify(id)}, which encryptionKeys lacks`,
        )
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
        decipher.setAAD(Buffer.from(`${id}.${context}`))
        decipher.setAuthTag(Buffer.from(tag, 'base64url'))
        return Buffer.concat([
          decipher.update(Buffer.from(body, 'base64url')),
          decipher.final(),
        ]).toString('utf8')
      } catch {
        throw new ConnectionError(
          'ERR_CONNECTION_UNREADABLE',
          'a stored token failed authentication: altered, or moved from another record',
        )
      }
    },
  }
}
