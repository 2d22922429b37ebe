import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { summarize } from './stats.js'
import type { Summary } from './stats.js'

/** One way of doing the operation being compared. */
export interface Contender {
  readonly name: string
  /**
   * Performs one operation on input `index`; each contender sees every index at most once, so an
   * index can pick a fresh token. Throws (or rejects) when the operation does not succeed: a
   * benchmark of failures measures nothing.
   */
  readonly run: (index: number) => unknown
  /** Operations in flight at once for an async `run`; 1 awaits each before starting the next. */
  readonly concurrency?: number
  /** `run` is synchronous: called in a plain loop, never awaited. */
  readonly sync?: boolean
}

export interface ContenderResult {
  readonly name: string
  /** Wall-clock time per operation over each measured batch, in microseconds. */
  readonly microsPerOp: Summary
  /** Time per operation of each measured batch, in round order (so rounds can be paired). */
  readonly samples: readonly number[]
  /** 1e6 / the median time per operation. */
  readonly opsPerSecond: number
  readonly measuredOps: number
}

export interface InterleaveOptions {
  /** Measured rounds; each round runs one batch of every contender. */
  readonly rounds: number
  /** Rounds run first and thrown away, for the JIT, caches and the heap to settle. */
  readonly warmUpRounds: number
  /** Operations per batch. */
  readonly batch: number
}

/** Inputs one contender consumes in a full comparison; the token pool must be at least this big. */
export function inputsNeeded(options: InterleaveOptions): number {
  return (options.rounds + options.warmUpRounds) * options.batch
}

async function runBatch(contender: Contender, first: number, count: number): Promise<number> {
  const end = first + count
  const start = process.hrtime.bigint()
  if (contender.sync) {
    for (let i = first; i < end; i++) contender.run(i)
  } else if ((contender.concurrency ?? 1) <= 1) {
    for (let i = first; i < end; i++) await contender.run(i)
  } else {
    let next = first
    const lane = async (): Promise<void> => {
      while (next < end) await contender.run(next++)
    }
    await Promise.all(Array.from({ length: contender.concurrency ?? 1 }, lane))
  }
  return Number(process.hrtime.bigint() - start) / 1000 / count
}

/**
 * Runs every contender in the same process, in interleaved rounds: round r starts with contender
 * r mod n, so no contender always runs right after the same neighbour, and slow drifts of the
 * machine (frequency, other load, heap growth) spread over all of them alike. Reports the median
 * time per operation over the measured batches, with its spread.
 */
export async function compareInterleaved(
  contenders: readonly Contender[],
  options: InterleaveOptions,
): Promise<ContenderResult[]> {
  const samples = contenders.map((): number[] => [])
  const cursors = contenders.map(() => 0)
  const totalRounds = options.warmUpRounds + options.rounds
  for (let round = 0; round < totalRounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const which = (round + k) % contenders.length
      const contender = contenders[which] as Contender
      const micros = await runBatch(contender, cursors[which] as number, options.batch)
      cursors[which] = (cursors[which] as number) + options.batch
      if (round >= options.warmUpRounds) samples[which]?.push(micros)
      // Let timers, I/O and finished thread-pool work run between batches, not inside the next one.
      await yieldToLoop()
    }
  }
  return contenders.map((contender, i) => {
    const microsPerOp = summarize(samples[i] as number[])
    return {
      name: contender.name,
      microsPerOp,
      samples: samples[i] as number[],
      opsPerSecond: 1e6 / microsPerOp.median,
      measuredOps: options.rounds * options.batch,
    }
  })
}
