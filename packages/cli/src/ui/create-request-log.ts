/** The last `limit` values added, each under a number that is never reused. */
export interface RequestLog<T> {
  /** Keeps `value`, forgetting the oldest one when full, and tells every listener. */
  add(value: T): number
  /** The value kept under `id`, or undefined once it has been forgotten. */
  get(id: number): T | undefined
  /** Every value kept, oldest first. */
  entries(): Array<[number, T]>
  /** Calls `listener` for each value added from now on; returns the function that stops it. */
  subscribe(listener: (id: number, value: T) => void): () => void
}

/**
 * A ring buffer of the last `limit` requests, so that a receiver left running for days holds a
 * bounded number of them. Ids count up from 1; the slot of id `n` is `n % limit`.
 */
export function createRequestLog<T>(limit: number): RequestLog<T> {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new TypeError(`a request log keeps at least 1 request (got ${limit})`)
  }
  const slots: Array<T | undefined> = []
  const listeners = new Set<(id: number, value: T) => void>()
  let next = 1
  const kept = (id: number) => Number.isSafeInteger(id) && id < next && id >= next - limit && id > 0
  return {
    add(value) {
      const id = next++
      slots[id % limit] = value
      for (const listener of listeners) listener(id, value)
      return id
    },
    get(id) {
      return kept(id) ? slots[id % limit] : undefined
    },
    entries() {
      const entries: Array<[number, T]> = []
      for (let id = Math.max(1, next - limit); id < next; id++) {
        entries.push([id, slots[id % limit] as T])
      }
      return entries
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
