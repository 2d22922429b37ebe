import { createPrivateKey, KeyObject } from 'node:crypto'
import type { JsonWebKey } from 'node:crypto'
import type { Fail } from '../lib/fail-with.js'

/**
 * Reads a private key given in options as PEM text, a private JWK or a `KeyObject`, at
 * construction. The message of a failed import is not passed on: it can quote key material.
 *
 * @param name The option's path, for messages.
 * @throws TypeError for anything that is not a private key.
 *
 * @example
 * ```ts
 * const key = readPrivateKeyOption('auth["partner.example"].oauth1.privateKey', pem, fail)
 * ```
 */
export function readPrivateKeyOption(name: string, value: unknown, fail: Fail): KeyObject {
  if (value instanceof KeyObject) {
    if (value.type !== 'private') fail(`${name} must be a private key`)
    return value
  }
  try {
    if (typeof value === 'string') return createPrivateKey({ key: value, format: 'pem' })
    if (typeof value === 'object' && value !== null) {
      return createPrivateKey({ key: value as JsonWebKey, format: 'jwk' })
    }
  } catch {
    fail(`${name} is not a readable PEM or JWK private key`)
  }
  fail(`${name} must be PEM text, a private JWK or a KeyObject`)
}
