/** Median and spread of a set of samples. */
export interface Summary {
  readonly median: number
  /** 25th and 75th percentiles: the middle half of the samples. */
  readonly p25: number
  readonly p75: number
  /** Median absolute deviation from the median. */
  readonly mad: number
  readonly samples: number
}

/** Linear interpolation between the closest ranks of sorted samples. */
function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q
  const below = Math.floor(position)
  const low = sorted[below] as number
  const high = sorted[Math.min(below + 1, sorted.length - 1)] as number
  return low + (high - low) * (position - below)
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summarize: no samples')
  const sorted = [...values].sort((a, b) => a - b)
  const median = quantile(sorted, 0.5)
  const deviations = sorted.map((value) => Math.abs(value - median)).sort((a, b) => a - b)
  return {
    median,
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
    mad: quantile(deviations, 0.5),
    samples: sorted.length,
  }
}
