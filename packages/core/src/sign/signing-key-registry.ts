import type { SigningKeySet } from './key-set-types.js'
import type { PreparedSigningKey } from './prepare-signing-key.js'

/**
 * Signing access to each key set, kept outside the object: a key set handed to logs, templates or
 * `JSON.stringify` has no private key, nor any function that signs, to give away.
 */
const activeKeys = new WeakMap<SigningKeySet, () => PreparedSigningKey>()

export function registerSigningKeySet(
  keySet: SigningKeySet,
  activeKey: () => PreparedSigningKey,
): void {
  activeKeys.set(keySet, activeKey)
}

/** How to get the key that signs now, or undefined when `keySet` was not made by `loadKeySet`. */
export function activeKeyOf(keySet: unknown): (() => PreparedSigningKey) | undefined {
  return typeof keySet === 'object' && keySet !== null
    ? activeKeys.get(keySet as SigningKeySet)
    : undefined
}
