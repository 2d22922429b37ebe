import { JwksFetchError } from '../jwks/jwks-fetch-error.js'
import type { UnusableKey } from './verification-key.js'

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Checks a parsed JWKS document and hands each of its keys to `importOne`, keyed by kid. Throws when
 * the document is not a JWK Set or holds more than `maxKeys` keys (the whole response is then treated
 * as a failed fetch). Keys without a kid are skipped, since tokens must name their key; a kid that
 * appears twice is unusable rather than guessed at. Each runtime's key import goes through here.
 */
export function collectJwkSet<Entry>(
  document: unknown,
  maxKeys: number,
  importOne: (jwk: Record<string, unknown>, kid: string) => Entry,
): Map<string, Entry | UnusableKey> {
  if (!isObject(document) || !Array.isArray(document.keys)) {
    throw new JwksFetchError('ERR_JWKS_INVALID', 'the response is not a JWK Set: no "keys" array')
  }
  if (document.keys.length > maxKeys) {
    throw new JwksFetchError(
      'ERR_JWKS_INVALID',
      `the JWK Set holds ${document.keys.length} keys; at most ${maxKeys} are allowed`,
    )
  }
  const entries = new Map<string, Entry | UnusableKey>()
  for (const jwk of document.keys) {
    if (!isObject(jwk) || typeof jwk.kid !== 'string') continue
    const kid = jwk.kid
    entries.set(
      kid,
      entries.has(kid)
        ? { kid, unusableReason: 'the kid appears more than once in the JWKS' }
        : importOne(jwk, kid),
    )
  }
  return entries
}
