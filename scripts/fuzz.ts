/**
 * The long differential run: hookseal's verifier against `jose.jwtVerify` on generated and mutated
 * tokens, a million of them by default, in chunks on loopback. Every disagreement outside the known
 * classes is printed with the token that caused it and the seed that replays it; the run then exits
 * non-zero. The in-suite run (packages/core/test/differential.test.ts) uses the same generator with
 * a budget of 10,000.
 *
 *   pnpm fuzz                                # 1,000,000 cases from the default seed
 *   pnpm fuzz --runs 5000000 --seed 42       # a larger budget or another seed
 *   pnpm fuzz --seed 20251139 --runs 20000   # replays one chunk, as printed with a finding
 */
import { parseArgs } from 'node:util'
import fc from 'fast-check'
import {
  ComparisonCounts,
  createDifferentialHarness,
  seedFrom,
} from '@hookseal/test-support/differential'
import type { Case, Comparison } from '@hookseal/test-support/differential'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000000' },
    seed: { type: 'string' },
    // Each chunk re-signs the pool, so that no time claim crosses a validity boundary while the two
    // verifiers look at it: a chunk must take well under 20 seconds.
    chunk: { type: 'string', default: '20000' },
    'max-findings': { type: 'string', default: '20' },
  },
})

function positiveInteger(name: string, value: string | undefined): number {
  const number = Number(value)
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new TypeError(`--${name} must be a positive integer, not ${value}`)
  }
  return number
}

const RUNS = positiveInteger('runs', values.runs)
const CHUNK = positiveInteger('chunk', values.chunk)
const MAX_FINDINGS = positiveInteger('max-findings', values['max-findings'])
const SEED = seedFrom(values.seed ?? process.env.FC_SEED)

interface Finding {
  readonly comparison: Extract<Comparison, { kind: 'unexplained' }>
  readonly c: Case
  readonly chunkSeed: number
  readonly chunkRuns: number
  readonly index: number
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

function describeFinding(finding: Finding, n: number): string {
  const { comparison, c } = finding
  const hookseal =
    comparison.hookseal === 'crashed'
      ? 'crashed'
      : comparison.hookseal.accepted
        ? 'accepted'
        : `refused ${comparison.hookseal.code}`
  return [
    `finding ${n}: ${comparison.detail}`,
    `  hookseal: ${hookseal}; jose: ${comparison.jose ? 'accepted' : 'refused'}`,
    `  made as: ${c.tags.join(', ')}`,
    `  case ${finding.index + 1} of the chunk with seed ${finding.chunkSeed}` +
      ` (replay: pnpm fuzz --seed ${finding.chunkSeed} --runs ${finding.chunkRuns})`,
    `  token (${c.token.length} characters): ${JSON.stringify(c.token)}`,
  ].join('\n')
}

const progressLine = process.stderr.isTTY
  ? (line: string) => process.stderr.write(`\r${line}`)
  : (line: string) => process.stderr.write(`${line}\n`)

const harness = await createDifferentialHarness()
const counts = new ComparisonCounts()
const findings: Finding[] = []
const startedAt = performance.now()

console.log(`hookseal vs jose.jwtVerify: ${RUNS} cases in chunks of ${CHUNK}, seed ${SEED}`)

try {
  for (let chunk = 0, done = 0; done < RUNS; chunk++) {
    const chunkRuns = Math.min(CHUNK, RUNS - done)
    const chunkSeed = SEED + chunk
    harness.resign()
    let index = 0
    await fc.assert(
      fc.asyncProperty(harness.caseArbitrary(), async (c) => {
        const comparison = await harness.compare(c)
        counts.add(comparison)
        if (comparison.kind === 'unexplained') {
          findings.push({ comparison, c, chunkSeed, chunkRuns, index })
        }
        index++
      }),
      { numRuns: chunkRuns, seed: chunkSeed },
    )
    done += chunkRuns
    const elapsed = performance.now() - startedAt
    const eta = (elapsed / done) * (RUNS - done)
    progressLine(
      `${String(done).padStart(String(RUNS).length)}/${RUNS}` +
        `  ${((done / RUNS) * 100).toFixed(1).padStart(5)}%` +
        `  ${seconds(elapsed)} elapsed, ${seconds(eta)} left` +
        `  ${Math.round(done / (elapsed / 1000))} cases/s  findings: ${findings.length}`,
    )
  }
} finally {
  await harness.close()
}
if (process.stderr.isTTY) process.stderr.write('\n')

const elapsed = performance.now() - startedAt
console.log(
  [
    `${counts.total} cases in ${seconds(elapsed)} (${Math.round(counts.total / (elapsed / 1000))} cases/s), seed ${SEED}`,
    ...counts.report(),
  ].join('\n'),
)
const unreached = counts.unreached()
if (unreached.length > 0) {
  console.log(`known classes no case reached on its own: ${unreached.map((d) => d.id).join(', ')}`)
}

if (findings.length > 0) {
  findings.slice(0, MAX_FINDINGS).forEach((finding, i) => {
    console.error(describeFinding(finding, i + 1))
  })
  if (findings.length > MAX_FINDINGS) {
    console.error(`… and ${findings.length - MAX_FINDINGS} more (--max-findings to see them)`)
  }
  console.error(`${findings.length} unexplained disagreement(s)`)
  process.exitCode = 1
} else {
  console.log('no unexplained disagreement')
}
