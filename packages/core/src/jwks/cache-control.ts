/** Bounds applied to the freshness a JWKS response asks for, in ms. */
export interface FreshnessBounds {
  /** Used when the response names no lifetime. */
  readonly defaultMs: number
  readonly minMs: number
  readonly maxMs: number
}

const DELTA_SECONDS = /^\d+$/

/**
 * The lifetime, in ms, that a `Cache-Control` header grants a JWKS response, or undefined when it
 * names none (or names it unreadably). `no-store` and `no-cache` count as a lifetime of zero, which
 * the lower bound then raises: the sender asked not to be cached, and honouring that literally would
 * turn every webhook into a fetch of its JWKS. `s-maxage` is ignored, being for shared caches only.
 *
 * @param header The raw `Cache-Control` value, duplicates already joined with commas.
 *
 * @example
 * ```ts
 * maxAgeFromCacheControl('public, max-age=300') // 300000
 * maxAgeFromCacheControl('no-store') // 0
 * maxAgeFromCacheControl(undefined) // undefined
 * ```
 */
export function maxAgeFromCacheControl(header: string | undefined): number | undefined {
  if (header === undefined) return undefined
  let maxAgeMs: number | undefined
  for (const directive of header.split(',')) {
    const [rawName = '', ...rest] = directive.split('=')
    const name = rawName.trim().toLowerCase()
    if (name === 'no-store' || name === 'no-cache') return 0
    if (name !== 'max-age' || maxAgeMs !== undefined) continue
    // RFC 9111 allows a quoted value and says a repeated max-age may be resolved by its first use.
    const value = rest
      .join('=')
      .trim()
      .replace(/^"(.*)"$/, '$1')
    if (DELTA_SECONDS.test(value)) maxAgeMs = Number(value) * 1000
  }
  return maxAgeMs
}

/**
 * The freshness lifetime actually applied: the sender's `max-age` (or the default) held within the
 * bounds, so that a sender can neither force a fetch per request nor pin its keys for days.
 *
 * @example
 * ```ts
 * clampFreshness(1000, { defaultMs: 600_000, minMs: 60_000, maxMs: 86_400_000 }) // 60000
 * ```
 */
export function clampFreshness(maxAgeMs: number | undefined, bounds: FreshnessBounds): number {
  return Math.min(Math.max(maxAgeMs ?? bounds.defaultMs, bounds.minMs), bounds.maxMs)
}
