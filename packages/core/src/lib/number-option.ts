/** setTimeout fires at once for anything longer, which would turn a long wait into none. */
export const MAX_TIMER_MS = 2 ** 31 - 1

export interface NumberRule {
  readonly integer?: boolean
  readonly allowZero?: boolean
  readonly max?: number
}

/**
 * A numeric option checked once at construction: `fallback` when absent, else a finite number that
 * is positive (or 0 with `allowZero`), whole with `integer`, and at most `max`. Throws a `TypeError`
 * naming the option otherwise.
 *
 * @example
 * ```ts
 * const timeout = numberOption('timeout', options.timeout, 5000, { max: MAX_TIMER_MS })
 * ```
 */
export function numberOption(
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
    (rule.integer !== true || Number.isInteger(value)) &&
    (rule.max === undefined || value <= rule.max)
  if (!valid) {
    const kind = rule.integer === true ? 'integer' : 'number'
    const sign = rule.allowZero === true ? 'non-negative' : 'positive'
    const bound = rule.max === undefined ? '' : ` no larger than ${rule.max}`
    throw new TypeError(`${name} must be a ${sign} finite ${kind}${bound}`)
  }
  return value
}
