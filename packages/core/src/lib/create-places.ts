/** A fixed number of places, taken at once while one is free and else handed over in turn. */
export interface Places {
  /** Takes a free place: true, or false when all are taken (then `wait` for one). */
  take(): boolean
  /** Resolves once a place leaving has been handed over to this caller, first come first. */
  wait(): Promise<void>
  /** Gives a place back: to the caller waiting longest, else it is free again. */
  leave(): void
}

/**
 * Bounds how many of something run at once, in order of arrival: signature work sent to libuv's
 * thread pool, on the verifying side and the signing side alike. A place that leaves goes straight
 * to the next caller waiting, so no newcomer can slip in between and exceed the bound.
 */
export function createPlaces(limit: number): Places {
  let taken = 0
  const waiting: Array<() => void> = []
  return {
    take() {
      if (taken >= limit) return false
      taken++
      return true
    },
    wait() {
      return new Promise((resolve) => waiting.push(resolve))
    },
    leave() {
      const next = waiting.shift()
      if (next === undefined) taken--
      else next()
    },
  }
}
