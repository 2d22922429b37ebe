/**
 * The wait before a retry, by exponential backoff with full jitter: a uniformly random time between
 * zero and `min(maxBackoff, backoff · 2^retry)`. Full jitter spreads the retries of many deliveries
 * that failed together (a receiver restarting) instead of bringing them back in one wave.
 *
 * @param retry 0 for the wait after the first attempt, 1 after the second, …
 * @param random A number in [0, 1), as `Math.random()` gives.
 *
 * @example
 * ```ts
 * backoffDelay(3, 1000, 30_000, Math.random()) // somewhere in [0, 8000)
 * ```
 */
export function backoffDelay(
  retry: number,
  backoff: number,
  maxBackoff: number,
  random: number,
): number {
  const ceiling = Math.min(maxBackoff, backoff * 2 ** retry)
  return Math.floor(random * ceiling)
}
