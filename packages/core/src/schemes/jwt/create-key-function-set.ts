import { LRUCache } from 'lru-cache'
import { RetryableWebhookError, WebhookError } from '../../errors/webhook-error.js'
import { importJwk } from '#runtime/crypto.js'
import type { KeySetEntry } from '../../keys/verification-key.js'

/** Finds a sender's public key (a JWK) by `kid`; undefined or null when there is none. */
export type KeyFunction = (kid: string) => Promise<object | undefined | null>

/** Bounds of the cache in front of a {@link KeyFunction}. */
export interface KeyFunctionCacheOptions {
  /** Most kids remembered, found or not. @default 100 */
  maxKeys?: number
  /** How long a key found is used without asking again, in ms. @default 600000 */
  maxAge?: number
  /** How long a kid not found is refused without asking again, in ms. @default 30000 */
  cooldown?: number
}

/** The part of a key set the verifier uses. */
export interface KeyLookup {
  /** `iat` is accepted for the same shape as a remote key set's lookup, and not needed here. */
  getKey(kid: string, iat?: number): Promise<KeySetEntry>
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`${name} must be a positive integer`)
  }
  return value
}

/**
 * Puts a `keys(kid)` function behind the same checks a JWKS gets (key type, curve, size, no private
 * members, `alg`/`use`/`key_ops`) and a bounded cache: one call in flight per kid, found keys kept
 * for `maxAge`, unknown kids refused for `cooldown` so that made-up kids cannot turn every request
 * into a call. A function that fails answers 503 (`ERR_KEYS_UNAVAILABLE`), so the sender retries; an
 * `ERR_KEY_UNUSABLE` it throws (an expired key) is remembered like an unknown kid.
 */
export function createKeyFunctionSet(
  keys: KeyFunction,
  options: KeyFunctionCacheOptions = {},
): KeyLookup {
  const maxAge = positive('keyCache.maxAge', options.maxAge, 600_000)
  const cooldown = positive('keyCache.cooldown', options.cooldown, 30_000)
  const cache = new LRUCache<string, Promise<KeySetEntry | undefined>>({
    max: positive('keyCache.maxKeys', options.maxKeys, 100),
    ttl: maxAge,
    perf: Date,
  })

  async function load(kid: string): Promise<KeySetEntry | undefined> {
    let jwk
    try {
      jwk = await keys(kid)
    } catch (cause) {
      if (cause instanceof WebhookError && cause.code === 'ERR_KEY_UNUSABLE') {
        cache.set(kid, Promise.resolve({ kid, unusableReason: cause.message }), { ttl: cooldown })
        return { kid, unusableReason: cause.message }
      }
      cache.delete(kid)
      throw new RetryableWebhookError(
        'ERR_KEYS_UNAVAILABLE',
        "the sender's key cannot be obtained",
        30,
        {
          cause,
        },
      )
    }
    if (jwk === undefined || jwk === null) {
      cache.set(kid, Promise.resolve(undefined), { ttl: cooldown })
      return undefined
    }
    if (typeof jwk !== 'object' || Array.isArray(jwk)) {
      return { kid, unusableReason: 'the key function returned something that is not a JWK' }
    }
    return importJwk(jwk as Record<string, unknown>, kid)
  }

  return {
    async getKey(kid) {
      let entry = cache.get(kid)
      if (entry === undefined) {
        entry = load(kid)
        cache.set(kid, entry)
      }
      const key = await entry
      if (key === undefined) {
        throw new WebhookError('ERR_KEY_NOT_FOUND', "the sender has no key with the token's kid")
      }
      return key
    },
  }
}
