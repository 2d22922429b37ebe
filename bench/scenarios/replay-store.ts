/**
 * Scenario 6: the shared replay store. Full verifications (ES256, 1 KiB body, digest, htm/htu)
 * through one verifier with `createRedisReplayStore` on a real redis-server on loopback, against the
 * same verifier with the in-memory store, one at a time and 16 in flight, in interleaved rounds.
 * Each Redis row's ratio is the median over rounds of memory time / Redis time within the round.
 * `BENCH_REPLAY_ROUNDS` and `BENCH_REPLAY_BATCH` shorten a run while developing.
 */
import { createMemoryReplayStore, createVerifier } from '@hookseal/core'
import type { ReplayStore } from '@hookseal/core'
import { createRedisReplayStore } from '@hookseal/redis'
import { startTestRedis } from '@hookseal/test-support/redis-server'
import {
  AUDIENCE,
  ISSUER,
  WEBHOOK_PATH,
  generateSigningKey,
  serveBenchJwks,
  webhookBody,
} from '../lib/fixtures.js'
import { compareInterleaved, inputsNeeded } from '../lib/measure.js'
import type { Contender } from '../lib/measure.js'
import { formatNumber, markdownTable } from '../lib/report.js'
import { summarize } from '../lib/stats.js'
import { signTokenPool, webhookTemplate } from '../lib/tokens.js'

/** Redis at 16 in flight must keep at least this share of the in-memory store's throughput. */
export const REPLAY_STORE_TARGET = 0.8
/** A round's quartiles must lie within this share of its median for the figure to count. */
const SPREAD = 0.1
const IN_FLIGHT = [1, 16] as const
const ROUNDS = Number(process.env.BENCH_REPLAY_ROUNDS ?? 15)
const WARM_UP_ROUNDS = 2
/** Verifications per contender and round: a quarter of a second or more each on a quiet machine. */
const BATCH = Number(process.env.BENCH_REPLAY_BATCH ?? 5000)

export interface ReplayStoreRow {
  readonly name: string
  readonly store: 'memory' | 'redis'
  readonly inFlight: number
  readonly opsPerSecond: number
  readonly p25OpsPerSecond: number
  readonly p75OpsPerSecond: number
  /** Redis rows: median over rounds of the in-memory time / the Redis time, same in-flight count. */
  readonly ratio?: number
  readonly p25Ratio?: number
  readonly p75Ratio?: number
  /** True when the round ratios' quartiles lie within ±10 % of their median. */
  readonly spreadWithin10Percent?: boolean
  /** The ratio this row must reach, where it has one. */
  readonly target: number | null
  readonly met: boolean | null
}

export interface ReplayStoreResult {
  readonly rounds: number
  readonly warmUpRounds: number
  readonly batch: number
  readonly bodyBytes: number
  readonly rows: readonly ReplayStoreRow[]
}

const within = (p25: number, median: number, p75: number): boolean =>
  p25 >= median * (1 - SPREAD) && p75 <= median * (1 + SPREAD)

export async function runReplayStoreScenario(
  log: (line: string) => void,
): Promise<ReplayStoreResult> {
  const key = generateSigningKey('ES256', 'bench-replay')
  const body = webhookBody()
  const template = webhookTemplate(key, body)
  const options = { rounds: ROUNDS, warmUpRounds: WARM_UP_ROUNDS, batch: BATCH }
  const count = inputsNeeded(options)
  log(`signing ${count + 1} ES256 tokens (one jti each)…`)
  const [warmToken, ...tokens] = await signTokenPool(key, template, count + 1)
  const headers = tokens.map((token) => ({ host: 'receiver.example', 'x-signature': token }))

  const [jwks, redis] = await Promise.all([serveBenchJwks([key.jwk]), startTestRedis()])
  try {
    const contenders: Contender[] = []
    for (const inFlight of IN_FLIGHT) {
      for (const store of ['memory', 'redis'] as const) {
        const replayStore: ReplayStore =
          store === 'memory'
            ? createMemoryReplayStore()
            : createRedisReplayStore({ client: redis.client(), prefix: `bench:${inFlight}:` })
        const verifier = createVerifier({
          issuers: [
            { issuer: ISSUER, jwksUri: jwks.url, audience: AUDIENCE, algorithms: ['ES256'] },
          ],
          replayStore,
          allowInsecureHttp: true,
        })
        const request = (i: number) => ({
          method: 'POST',
          url: WEBHOOK_PATH,
          headers: headers[i] as Record<string, string>,
          body,
        })
        // The JWKS fetch and Redis's first answer (its sentinel) happen before anything is timed.
        await verifier.verify({
          ...request(0),
          headers: { ...headers[0], 'x-signature': warmToken! },
        })
        contenders.push({
          name: `${store}, ${inFlight} in flight`,
          concurrency: inFlight,
          run: (i) => verifier.verify(request(i)),
        })
      }
    }
    log(
      `${WARM_UP_ROUNDS} warm-up + ${ROUNDS} interleaved rounds of ${BATCH} verifications per ` +
        `contender (redis-server on loopback)…`,
    )
    const results = await compareInterleaved(contenders, options)

    return {
      rounds: ROUNDS,
      warmUpRounds: WARM_UP_ROUNDS,
      batch: BATCH,
      bodyBytes: body.length,
      rows: results.map((result, i) => {
        const store = i % 2 === 0 ? 'memory' : 'redis'
        const inFlight = IN_FLIGHT[Math.floor(i / 2)] as number
        const speed = summarize(result.samples.map((micros) => 1e6 / micros))
        const row = {
          name: result.name,
          store,
          inFlight,
          opsPerSecond: speed.median,
          p25OpsPerSecond: speed.p25,
          p75OpsPerSecond: speed.p75,
        } as const
        if (store === 'memory') return { ...row, target: null, met: null }
        const memory = results[i - 1]!
        const ratio = summarize(
          result.samples.map((micros, round) => memory.samples[round]! / micros),
        )
        const target = inFlight === 16 ? REPLAY_STORE_TARGET : null
        return {
          ...row,
          ratio: ratio.median,
          p25Ratio: ratio.p25,
          p75Ratio: ratio.p75,
          spreadWithin10Percent: within(ratio.p25, ratio.median, ratio.p75),
          target,
          met: target === null ? null : ratio.median >= target,
        }
      }),
    }
  } finally {
    await Promise.all([jwks.close(), redis.stop()])
  }
}

/** The scenario's rows as a Markdown table, with the target line under it. */
export function replayStoreTable(result: ReplayStoreResult): string {
  const gated = result.rows.find((row) => row.target !== null)
  return (
    markdownTable<ReplayStoreRow>(
      [
        { title: 'replay store', value: (row) => row.name },
        {
          title: 'verifications/s (median)',
          align: 'right',
          value: (row) => formatNumber(row.opsPerSecond),
        },
        {
          title: 'p25–p75',
          align: 'right',
          value: (row) =>
            `${formatNumber(row.p25OpsPerSecond)}–${formatNumber(row.p75OpsPerSecond)}`,
        },
        {
          title: '× memory (p25–p75)',
          align: 'right',
          value: (row) =>
            row.ratio === undefined
              ? '—'
              : `${row.ratio.toFixed(2)} (${row.p25Ratio!.toFixed(2)}–${row.p75Ratio!.toFixed(2)})`,
        },
        {
          title: 'target',
          value: (row) =>
            row.target === null
              ? '—'
              : `≥ ${row.target.toFixed(2)}: ${row.met ? 'met' : 'NOT met'}`,
        },
      ],
      result.rows,
    ) +
    `\n\nES256, ${result.bodyBytes} B body, one verifier per row, redis-server on loopback; ` +
    `${result.warmUpRounds} warm-up + ${result.rounds} interleaved rounds of ` +
    `${formatNumber(result.batch)} verifications. ` +
    (gated === undefined
      ? ''
      : `Target: Redis ≥ ${gated.target!.toFixed(2)}× memory at ${gated.inFlight} in flight: ` +
        `${gated.met ? 'met' : 'NOT met'} (${gated.ratio!.toFixed(2)}×, quartiles ` +
        `${gated.spreadWithin10Percent ? 'within' : 'NOT within'} ±10 %).`)
  )
}
