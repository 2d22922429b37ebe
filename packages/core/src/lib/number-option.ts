import type { Fail } from './fail-with.js'

/** setTimeout fires at once for anything longer, which would turn a long wait into none. */
export const MAX_TIMER_MS = 2 ** 31 - 1

export interface NumberRule {
  readonly integer?: boolean
  readonly allowZero?: boolean
  readonly max?: number
  /** Said in the message: `'seconds'` reads "a number of seconds". */
  readonly unit?: string
}

/**
 * A numeric option checked once at construction: `fallback` when absent, else a finite number that
 * is positive (or 0 with `allowZero`), whole with `integer`, and at most `max`. Anything else goes
 * to `fail` with a message naming the option, so every factory words the same mistake alike.
 *
 * @example
 * ```ts
 * const fail = failWith('createRemoteKeySet')
 * const timeout = numberOption(fail, 'timeout', options.timeout, 5000, { max: MAX_TIMER_MS })
 * ```
 */
export function numberOption(
  fail: Fail,
  name: string,
  value: unknown,
  fallback: number,
  rule: NumberRule = {},
): number {
  if (value === undefined) return fallback
  const valid =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rule.allowZero === true ? value >= 0 : value > 0) &&
    (rule.integer !== true || Number.isSafeInteger(value)) &&
    (rule.max === undefined || value <= rule.max)
  if (!valid) {
    const kind = rule.integer === true ? 'whole number' : 'number'
    const unit = rule.unit === undefined ? '' : ` of ${rule.unit}`
    const lowest = rule.allowZero === true ? '0 or more' : 'more than 0'
    const bound = rule.max === undefined ? '' : ` and at most ${rule.max}`
    fail(`${name} must be a finite ${kind}${unit}, ${lowest}${bound}`)
  }
  return value
}
