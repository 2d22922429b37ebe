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
 * A `Map` from id to expiry is all it takes: a Map iterates in insertion order, and an id is only
 * ever inserted when first seen, so its first entry is always the least recently seen id. Each call
 * costs a lookup, an insertion and at most one deletion, whatever the size.
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
  /** Id → epoch millisecond until which it is remembered. */
  const seen = new Map<string, number>()

  return {
    async remember(id, expiresAtMs) {
      // Date.now keeps expiry on the same clock as the tokens' exp claims (and under fake timers).
      const now = Date.now()
      const until = seen.get(id)
      if (until !== undefined) {
        if (until > now) return false
        seen.delete(id)
      }
      // The oldest entry goes when full, or as soon as it has expired: the store shrinks back as
      // traffic goes on, one entry per call, without a timer or a scan.
      const oldest = seen.entries().next().value
      if (oldest !== undefined && (seen.size >= maxEntries || oldest[1] <= now)) {
        seen.delete(oldest[0])
      }
      seen.set(id, Math.max(expiresAtMs, now + 1))
      return true
    },
  }
}
