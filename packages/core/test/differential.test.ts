import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ComparisonCounts,
  createDifferentialHarness,
  seedFrom,
} from '@hookseal/test-support/differential'
import type { Case, DifferentialHarness } from '@hookseal/test-support/differential'

const NUM_RUNS = 10_000
const SEED = seedFrom(process.env.FC_SEED)

describe('hookseal and jose on generated and mutated tokens', () => {
  let harness: DifferentialHarness

  beforeAll(async () => {
    harness = await createDifferentialHarness()
  })

  afterAll(() => harness?.close())

  it('agrees with jose on keys that verify nothing, and on when a token without kid is ambiguous', async () => {
    const outcome = async (kid: string, header: string): Promise<[string, boolean]> => {
      const c = harness.pool.find((p) => p.tags.join(' ') === `${kid} ${header} valid`)
      const hookseal = await harness.verifyWithHookseal(c?.token ?? '')
      return [
        hookseal.accepted ? 'accepted' : hookseal.code,
        await harness.verifyWithJose(c?.token ?? ''),
      ]
    }
    expect(await outcome('rs', 'default')).toEqual(['accepted', true])
    expect(await outcome('weak', 'default')).toEqual(['ERR_KEY_UNUSABLE', false])
    expect(await outcome('enc', 'default')).toEqual(['ERR_KEY_UNUSABLE', false])
    // Two JWKS keys fit RS256 (the 2048-bit and the 1024-bit one), so jose will not guess either.
    expect(await outcome('rs', 'no-kid')).toEqual(['ERR_KID_MISSING', false])
    expect(await outcome('ps', 'no-kid')).toEqual(['ERR_KID_MISSING', true])
  })

  it('never accepts a token jose refuses, and refuses jose-accepted ones only for known reasons', async () => {
    const counts = new ComparisonCounts()

    await fc.assert(
      fc.asyncProperty(harness.caseArbitrary(), async (c: Case) => {
        const comparison = await harness.compare(c)
        counts.add(comparison)
        if (comparison.kind === 'unexplained') {
          throw new Error(`${comparison.detail} (${c.tags.join(', ')})`)
        }
      }),
      { numRuns: NUM_RUNS, seed: SEED },
    )

    console.info(
      [`hookseal vs jose: ${counts.total} tokens, seed ${SEED}`, ...counts.report()].join('\n'),
    )

    expect(counts.total).toBeGreaterThanOrEqual(NUM_RUNS)
    // Agreement on acceptance must be common, or the comparison proves little.
    expect(counts.get('both accepted')).toBeGreaterThan(counts.total / 20)
    expect(counts.unreached().map((d) => d.id)).toEqual([])
  }, 60_000)
})
