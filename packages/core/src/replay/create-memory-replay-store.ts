import { LRUCache } from 'lru-cache'
import type { ReplayStore } from './replay-store.js'

export interface MemoryReplayStoreOptions {
  /**
   * Most ids held at once. When full, the least recently seen id is forgotten early, so size it
   * above the number of webhooks one process accepts within a token's lifetime.
   * @default 100000
   */
  maxEntries?: number
}

/**
 * The default replay store: in-memory, bounded, each id kept until its token expires. It protects
 * one process only; receivers behind a load balancer need a shared {@link ReplayStore}.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({ issuers, replayStore: createMemoryReplayStore({ maxEntries: 1e6 }) })
 * ```
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const { maxEntries = 100_000 } = options
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('maxEntries must be a positive integer')
  }
  // Date.now keeps expiry on the same clock as the tokens' exp claims (and under fake timers).
  const seen = new LRUCache<string, true>({ max: maxEntries, ttlAutopurge: false, perf: Date })

  return {
    async remember(id, expiresAtMs) {
      if (seen.has(id)) return false
      seen.set(id, true, { ttl: Math.max(1, expiresAtMs - Date.now()) })
      return true
    },
  }
}
