import type { Fail } from '@hookseal/core/http'

/**
 * The waits before each retry, in ms, the first attempt being made at once: 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h, 10 h (8 attempts). Close to Standard Webhooks' recommendation: a receiver down
 * for a night still gets the event (about 28 h from the first attempt to the last).
 */
export const DEFAULT_SCHEDULE: readonly number[] = Object.freeze([
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
])

/** Checks a schedule once: a list of waits in ms, none negative (empty: no retry). */
export function checkSchedule(fail: Fail, name: string, schedule: unknown): readonly number[] {
  if (
    !Array.isArray(schedule) ||
    !schedule.every((wait) => typeof wait === 'number' && Number.isFinite(wait) && wait >= 0)
  ) {
    fail(`${name} must be an array of waits in ms (finite numbers, 0 or more)`)
  }
  return Object.freeze([...(schedule as number[])])
}

/**
 * The wait before the retry after `attemptsMade` attempts (1 or more), or `undefined` when the
 * schedule has no retry left. The scheduled wait is spread by ±`jitter` (a fraction) so that deliveries that
 * failed together do not come back together; a `Retry-After` the receiver sent is honoured up to
 * `maxRetryAfter`: the next attempt is never earlier than it asked, nor later than the bound.
 *
 * @param random A number in [0, 1), as `Math.random()` gives.
 */
export function scheduledDelay(
  schedule: readonly number[],
  attemptsMade: number,
  retryAfterMs: number | undefined,
  maxRetryAfter: number,
  jitter: number,
  random: number,
): number | undefined {
  const wait = schedule[attemptsMade - 1]
  if (wait === undefined) return undefined
  const spread = Math.round(wait * (1 + jitter * (2 * random - 1)))
  if (retryAfterMs === undefined) return spread
  return Math.max(spread, Math.min(retryAfterMs, maxRetryAfter))
}
