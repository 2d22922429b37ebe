const DELAY_SECONDS = /^\d+$/
// Only a date with a weekday and "GMT" counts: Date.parse alone would take "1.5" or "-1" as a date.
const HTTP_DATE = /^[A-Za-z]{3,9},? .+ GMT$/

/**
 * Reads a `Retry-After` header (RFC 9110: delay in seconds, or an HTTP date) as a wait in ms from
 * `now`. A date in the past is a wait of 0; anything unreadable is `undefined`, and the usual backoff
 * applies.
 *
 * @example
 * ```ts
 * parseRetryAfter('120', Date.now()) // 120000
 * parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', Date.now())
 * ```
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (DELAY_SECONDS.test(trimmed)) return Number(trimmed) * 1000
  if (!HTTP_DATE.test(trimmed)) return undefined
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}
