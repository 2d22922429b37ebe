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
 * Ids sit in a ring in the order first seen, with a Map from each id to its slot: a call costs one
 * lookup and, when full, one deletion, whatever the size. (A Map alone, forgetting its first entry,
 * would not do: V8 leaves a deleted entry as a hole until it rehashes, and finding the first entry
 * walks over every hole before it.)
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
  /** Each id remembered, to the slot of the ring that holds it. */
  const slots = new Map<string, number>()
  /**
   * The ring: the id in each slot (undefined once the id has moved to a newer slot), and the epoch
   * millisecond until which it is remembered.
   */
  const ids: Array<string | undefined> = []
  const until: number[] = []
  /** Once the ring is full, the slot of the least recently seen id: the next to be reused. */
  let oldest = 0

  return {
    async remember(id, expiresAtMs) {
      // Date.now keeps expiry on the same clock as the tokens' exp claims (and under fake timers).
      const now = Date.now()
      const seen = slots.get(id)
      if (seen !== undefined) {
        if ((until[seen] as number) > now) return false
        // Seen again after it expired: it moves to a newer slot, and the old one forgets nothing.
        ids[seen] = undefined
      }
      let slot = ids.length
      if (slot < maxEntries) {
        ids.push(id)
        until.push(0)
      } else {
        slot = oldest
        oldest = (oldest + 1) % maxEntries
        // The slot's id is forgotten, early if it has not expired yet.
        const forgotten = ids[slot]
        if (forgotten !== undefined) slots.delete(forgotten)
        ids[slot] = id
      }
      until[slot] = Math.max(expiresAtMs, now + 1)
      slots.set(id, slot)
      return true
    },
  }
}
