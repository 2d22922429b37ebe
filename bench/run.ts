/**
 * `pnpm bench [scenario…]`: hookseal against what users would write instead, and against the limit
 * the hardware sets. Never part of `pnpm test`. It measures the packages as published: `pnpm bench`
 * builds them first and loads their `dist`, not their TypeScript sources. Scenarios: `verify` (1), `http` (2), `stampede`
 * (3), `delivery` (4), `memory` (5); none given runs them all. Prints Markdown tables, merges the figures into
 * `bench/results/latest.json` (and `latest.md`), and redraws `bench/results/verify.svg`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os'
import { renderChart } from './lib/chart.js'
import { formatNumber, markdownTable } from './lib/report.js'
import { runDeliveryScenario } from './scenarios/delivery.js'
import type { DeliveryResult, DeliveryRow } from './scenarios/delivery.js'
import { runHttpScenario } from './scenarios/http.js'
import type { HttpResult, HttpRow } from './scenarios/http.js'
import { runMemoryScenario } from './scenarios/memory.js'
import type { MemoryResult } from './scenarios/memory.js'
import { replayStoreTable, runReplayStoreScenario } from './scenarios/replay-store.js'
import type { ReplayStoreResult } from './scenarios/replay-store.js'
import { runStampedeScenario } from './scenarios/stampede.js'
import type { StampedeResult, StampedeRow } from './scenarios/stampede.js'
import { runVerifyScenario } from './scenarios/verify.js'
import type { VerifyResult, VerifyRow } from './scenarios/verify.js'

interface Scenario<Result> {
  readonly title: string
  readonly run: (log: (line: string) => void) => Promise<Result>
  readonly table: (result: Result) => string
}

const verifyTable = (result: VerifyResult): string =>
  markdownTable<VerifyRow>(
    [
      { title: 'contender', value: (row) => row.name },
      { title: 'µs/op (median)', align: 'right', value: (row) => row.medianMicros.toFixed(1) },
      {
        title: 'p25–p75 µs',
        align: 'right',
        value: (row) => `${row.p25Micros.toFixed(1)}–${row.p75Micros.toFixed(1)}`,
      },
      { title: 'ops/s', align: 'right', value: (row) => formatNumber(row.opsPerSecond) },
      {
        title: `× ${result.reference}`,
        align: 'right',
        value: (row) => row.ratio.toFixed(2),
      },
      {
        title: '× its limit',
        align: 'right',
        value: (row) =>
          row.ratioToBaseline === undefined
            ? '—'
            : `${row.ratioToBaseline.toFixed(2)} (vs ${row.baseline})`,
      },
      { title: 'what it does', value: (row) => row.note },
    ],
    result.rows,
  ) +
  '\n\n' +
  result.targets
    .map(
      (target) =>
        `Target: ${target.name} ≥ ${target.ratio.toFixed(2)}× ${target.versus} throughput: ` +
        `${target.met ? 'met' : 'NOT met'} (${target.measured.toFixed(2)}×).`,
    )
    .join('\n')

const httpTable = (result: HttpResult): string =>
  markdownTable<HttpRow>(
    [
      { title: 'app', value: (row) => row.name },
      {
        title: 'req/s (median)',
        align: 'right',
        value: (row) => formatNumber(row.requestsPerSecond),
      },
      {
        title: 'p25–p75 req/s',
        align: 'right',
        value: (row) =>
          `${formatNumber(row.p25RequestsPerSecond)}–${formatNumber(row.p75RequestsPerSecond)}`,
      },
      { title: 'p50 ms', align: 'right', value: (row) => String(row.p50Ms) },
      { title: 'p99 ms', align: 'right', value: (row) => String(row.p99Ms) },
      {
        title: 'verified / unverified',
        align: 'right',
        value: (row) =>
          row.ratioToBaseline === undefined
            ? '—'
            : `${row.ratioToBaseline.toFixed(2)} (vs ${row.baseline})`,
      },
      {
        title: 'target',
        align: 'right',
        value: (row) =>
          row.target === undefined
            ? '—'
            : `≥ ${row.target.ratio.toFixed(2)}: ${row.target.met ? 'met' : 'NOT met'}`,
      },
      { title: 'stable (IQR ±10 %)', value: (row) => (row.stable ? 'yes' : 'no') },
      {
        title: 'server CPU',
        align: 'right',
        value: (row) => `${(row.serverCpu * 100).toFixed(0)} %`,
      },
      { title: 'non-2xx', align: 'right', value: (row) => String(row.non2xx + row.errors) },
    ],
    result.rows,
  ) +
  `\n\n${result.connections} connections, ${result.rounds} interleaved rounds of ` +
  `${result.roundSeconds} s after ${result.warmUpSeconds} s of warm-up per app; ` +
  (result.pinning === null
    ? 'servers and load generator not pinned.'
    : `servers pinned to CPU ${result.pinning.servers}, autocannon to CPU ` +
      `${result.pinning.loadGenerator} (taskset).`)

const stampedeTable = (result: StampedeResult): string =>
  markdownTable<StampedeRow>(
    [
      { title: 'library', value: (row) => row.name },
      { title: 'JWKS fetches', align: 'right', value: (row) => String(row.fetches) },
      { title: 'drain ms', align: 'right', value: (row) => formatNumber(row.drainMs) },
      { title: 'accepted', align: 'right', value: (row) => formatNumber(row.accepted) },
      { title: 'refused', value: (row) => (row.refusal === undefined ? '0' : row.refusal) },
    ],
    result.rows,
  ) +
  `\n\n${formatNumber(result.concurrent)} verifications at once, right after the sender published ` +
  `a new key; the JWKS answers after ${result.jwksDelayMs} ms. Target: ` +
  `${result.target.fetches} fetch for ${result.target.name}: ${result.target.met ? 'met' : 'NOT met'}.`

const deliveryTable = (result: DeliveryResult): string =>
  markdownTable<DeliveryRow>(
    [
      { title: 'alg', value: (row) => row.alg },
      { title: 'path', value: (row) => row.name },
      { title: 'connection', value: (row) => row.connection ?? '— (signing only)' },
      { title: 'ops/s (median)', align: 'right', value: (row) => formatNumber(row.opsPerSecond) },
      {
        title: 'p25–p75 ops/s',
        align: 'right',
        value: (row) => `${formatNumber(row.p25OpsPerSecond)}–${formatNumber(row.p75OpsPerSecond)}`,
      },
      { title: '× raw crypto.sign', align: 'right', value: (row) => row.ratioToRawSign.toFixed(2) },
      {
        title: 'TCP connections / request',
        align: 'right',
        value: (row) =>
          row.connectionsPerRequest === undefined ? '—' : row.connectionsPerRequest.toFixed(3),
      },
      { title: 'errors', align: 'right', value: (row) => String(row.errors) },
      {
        title: 'target',
        value: (row) =>
          row.target === undefined
            ? '—'
            : `≥ ${row.target.toFixed(2)}×: ${row.met === true ? 'met' : 'NOT met'}`,
      },
    ],
    result.rows,
  ) +
  `\n\nTarget: createSender().send ≥ ${result.targets[0]?.target.toFixed(2)}× raw crypto.sign ` +
  `of its key (one at a time, synchronous, main thread): ` +
  result.targets
    .map((t) => `${t.alg} ${t.met ? 'met' : 'NOT met'} (${t.ratio.toFixed(2)}×)`)
    .join(', ') +
  `.\n\n${result.bodyBytes} B JSON body, ${result.concurrency} deliveries in flight (signing ` +
  `rows: one at a time, but the thread pool row: ${result.concurrency} in flight on ` +
  `${result.threadPoolSize} libuv threads), ${result.rounds} interleaved rounds of ` +
  `${result.roundSeconds} s (middle half of the rounds within ±` +
  `${(result.widestSpread * 100).toFixed(0)} % of the median, widest row); receiver: ` +
  `node:http answering 204 in its own process on 127.0.0.1. Keep-alive: createSender ` +
  `${result.senderKeepAlive ? 'reuses connections' : 'does not reuse connections (a new TCP connection per delivery)'}; ` +
  `its throughput is ` +
  (Object.entries(result.senderToKeepAlive) as [string, number][])
    .map(([alg, ratio]) => `${ratio.toFixed(2)}× (${alg})`)
    .join(' and ') +
  ` that of the same signed request over a keep-alive agent.`

const memoryTable = (result: MemoryResult): string =>
  markdownTable<[string, string]>(
    [
      { title: 'measure', value: (row) => row[0] },
      { title: 'value', align: 'right', value: (row) => row[1] },
    ],
    [
      [
        'verifications (distinct jti, all accepted)',
        formatNumber(result.verifications - result.refused),
      ],
      ['refused', String(result.refused)],
      [`${result.algorithm} verifications per second`, formatNumber(result.verificationsPerSecond)],
      ['RSS before (after 1 verification, GC)', `${result.before.rssMiB} MiB`],
      ['RSS after', `${result.after.rssMiB} MiB`],
      ['RSS after GC', `${result.afterGc.rssMiB} MiB`],
      ['heap used before (GC)', `${result.before.heapUsedMiB} MiB`],
      ['heap used after GC', `${result.afterGc.heapUsedMiB} MiB`],
      [
        'external / array buffers after GC',
        `${result.afterGc.externalMiB} / ${result.afterGc.arrayBuffersMiB} MiB`,
      ],
    ],
  ) +
  `\n\nRSS every ${formatNumber(result.checkpoints[0]?.verifications ?? 0)}: ` +
  result.checkpoints.map((point) => `${point.rssMiB}`).join(', ') +
  ` MiB. Replay store: ${result.replayStore}.`

/** Erases a scenario's result type: the runner only passes the result back to its own table. */
function scenario<Result>(definition: Scenario<Result>): Scenario<unknown> {
  return definition as unknown as Scenario<unknown>
}

const SCENARIOS = {
  verify: scenario({ title: '1. Verify, in process', run: runVerifyScenario, table: verifyTable }),
  http: scenario({ title: '2. Verify over HTTP', run: runHttpScenario, table: httpTable }),
  stampede: scenario({ title: '3. JWKS stampede', run: runStampedeScenario, table: stampedeTable }),
  delivery: scenario({ title: '4. Delivery', run: runDeliveryScenario, table: deliveryTable }),
  memory: scenario({ title: '5. Memory', run: runMemoryScenario, table: memoryTable }),
  'replay-store': scenario<ReplayStoreResult>({
    title: '6. Replay store on Redis',
    run: runReplayStoreScenario,
    table: replayStoreTable,
  }),
}
type ScenarioName = keyof typeof SCENARIOS
const NAMES = Object.keys(SCENARIOS) as ScenarioName[]
const ALIASES: Record<string, ScenarioName> = {
  '1': 'verify',
  '2': 'http',
  '3': 'stampede',
  '4': 'delivery',
  '5': 'memory',
  '6': 'replay-store',
}

const RESULTS = new URL('./results/', import.meta.url)
const LATEST_JSON = new URL('latest.json', RESULTS)
const LATEST_MD = new URL('latest.md', RESULTS)
const CHART = new URL('verify.svg', RESULTS)

interface ScenarioRecord {
  readonly title: string
  readonly ranAt: string
  readonly seconds: number
  /** 1-minute load average before and after: the machine may have been shared. */
  readonly loadAverage: { readonly before: number; readonly after: number }
  readonly table: string
  readonly result: unknown
}

interface Latest {
  machine: Record<string, string | number>
  command: string
  scenarios: Partial<Record<ScenarioName, ScenarioRecord>>
}

function selectScenarios(args: readonly string[]): ScenarioName[] {
  if (args.length === 0) return NAMES
  return args.map((arg) => {
    const name = ALIASES[arg] ?? arg
    if (!(NAMES as string[]).includes(name)) {
      console.error(
        `unknown scenario ${JSON.stringify(arg)}; pick from ${NAMES.join(', ')} (or 1, 2, 3, 4, 5)`,
      )
      process.exit(2)
    }
    return name as ScenarioName
  })
}

function machine(): Record<string, string | number> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()}`,
  }
}

function readLatest(): Latest | undefined {
  if (!existsSync(LATEST_JSON)) return undefined
  try {
    return JSON.parse(readFileSync(LATEST_JSON, 'utf8')) as Latest
  } catch {
    return undefined
  }
}

const selected = selectScenarios(process.argv.slice(2))
const startedAt = process.hrtime.bigint()
const host = machine()
console.log(
  `hookseal bench: ${selected.join(', ')} on ${host.cpu} (${host.cores} cores), Node ${host.node}\n`,
)

const latest: Latest = readLatest() ?? { machine: host, command: '', scenarios: {} }
latest.machine = host
latest.command = `pnpm bench${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`
for (const name of selected) {
  const definition = SCENARIOS[name]
  console.log(`## ${definition.title}\n`)
  const before = loadavg()[0] as number
  const started = process.hrtime.bigint()
  const result = await definition.run((line) => console.log(`  ${line}`))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const table = definition.table(result)
  const after = loadavg()[0] as number
  console.log(
    `\n${table}\n\n(${seconds.toFixed(0)} s; 1-minute load average ${before.toFixed(2)} before, ` +
      `${after.toFixed(2)} after)\n`,
  )
  latest.scenarios[name] = {
    title: definition.title,
    ranAt: new Date().toISOString(),
    seconds,
    loadAverage: { before, after },
    table,
    result,
  }
}

mkdirSync(RESULTS, { recursive: true })
writeFileSync(LATEST_JSON, `${JSON.stringify(latest, null, 2)}\n`)
const markdown = NAMES.flatMap((name) => {
  const record = latest.scenarios[name]
  return record ? [`### ${record.title}\n\n${record.table}\n`] : []
})
writeFileSync(
  LATEST_MD,
  `Machine: ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, Node ${host.node}, ${host.os}.\n\n` +
    `${markdown.join('\n')}`,
)
const chart = renderChart(
  latest.scenarios.verify?.result as VerifyResult | undefined,
  latest.scenarios.http?.result as HttpResult | undefined,
  `${host.cpu}, ${host.cores} cores, Node ${host.node} · pnpm bench · ${new Date().toISOString().slice(0, 10)}`,
)
if (chart !== undefined) writeFileSync(CHART, chart)
const total = Number(process.hrtime.bigint() - startedAt) / 1e9
console.log(
  `wrote bench/results/latest.json, latest.md${chart ? ', verify.svg' : ''} (${total.toFixed(0)} s in all)`,
)
// Keep-alive sockets of the libraries under test must not hold the process open.
process.exit(0)
