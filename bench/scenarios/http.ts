/**
 * Scenario 2: verification over HTTP. Each adapter's route with and without hookseal, and the
 * express-jwt + jwks-rsa stack, under load from autocannon on 127.0.0.1. The receivers run in a
 * forked process, the load generator here; every request carries a token of its own.
 */
import { execFileSync, fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import autocannon from 'autocannon'
import { WEBHOOK_PATH, generateSigningKey, webhookBody } from '../lib/fixtures.js'
import { summarize } from '../lib/stats.js'
import { signTokenPool, webhookTemplate } from '../lib/tokens.js'
import { HTTP_CONTENDERS } from './http-servers.js'
import type { HttpContender, ServerMessage } from './http-servers.js'

const CONNECTIONS = 10
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 5)
/** Long enough for the spread between rounds to stay within ±10 % of the median. */
const ROUND_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 5)
const WARM_UP_SECONDS = 2
/** A row is stable when its middle half of rounds lies within this share of its median. */
const STABLE_SPREAD = 0.1
/**
 * Tokens signed for the run, one `jti` each. Every verifying app has its own replay store (the
 * default: in memory, forgetting the oldest of 100,000 ids), so a pool larger than that can be
 * cycled through: by the time a token comes round again, its id has been forgotten, and it costs
 * the same full verification as a fresh one.
 */
const POOL_SIZE = Number(process.env.BENCH_HTTP_TOKENS ?? 120_000)
const REPLAY_STORE_ENTRIES = 100_000

/** Which unverified app a verified one is compared with. */
const BASELINE: Partial<Record<HttpContender, HttpContender>> = {
  'express + hookseal': 'express',
  'koa + hookseal': 'koa',
  'fastify + hookseal': 'fastify',
  'express + express-jwt + jwks-rsa': 'express',
}

export interface HttpRow {
  readonly name: HttpContender
  readonly verified: boolean
  /** Median over rounds of 2xx responses per second, with the middle half of the rounds. */
  readonly requestsPerSecond: number
  readonly p25RequestsPerSecond: number
  readonly p75RequestsPerSecond: number
  /** Median over rounds of autocannon's 99th-percentile latency, in milliseconds. */
  readonly p99Ms: number
  readonly p50Ms: number
  readonly requests: number
  /** Responses that were not 2xx, and connection errors: both must be 0 for a valid row. */
  readonly non2xx: number
  readonly errors: number
  /** For a verified app: the unverified app it is compared with, and median per-round ratio. */
  readonly baseline?: HttpContender
  readonly ratioToBaseline?: number
  /** Whether the middle half of its rounds lies within ±10 % of the median. */
  readonly stable: boolean
  /** Median share of one core the server process used during the rounds (1 = a whole core). */
  readonly serverCpu: number
  /** The ratio this row is held to, when it has one. */
  readonly target?: { readonly ratio: number; readonly met: boolean }
}

export interface HttpResult {
  /** CPUs the servers and the load generator were pinned to, when the machine allowed it. */
  readonly pinning: { readonly servers: string; readonly loadGenerator: string } | null
  readonly connections: number
  readonly rounds: number
  readonly roundSeconds: number
  readonly warmUpSeconds: number
  readonly bodyBytes: number
  readonly rows: readonly HttpRow[]
}

/** Verified / unverified throughput each adapter must keep. */
const TARGETS: Partial<Record<HttpContender, number>> = {
  'express + hookseal': 0.8,
  'koa + hookseal': 0.65,
  'fastify + hookseal': 0.55,
}

interface RoundSample {
  /** Share of one core the servers' process used during the round. */
  readonly cpu: number
  readonly rps: number
  readonly p99: number
  readonly p50: number
  readonly requests: number
  readonly non2xx: number
  readonly errors: number
}

function startServers(
  jwk: object,
): Promise<{ child: ChildProcess; ports: Record<HttpContender, number> }> {
  const child = fork(new URL('./http-servers.ts', import.meta.url), [JSON.stringify([jwk])], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the servers' process exited with ${code}`)))
    child.once('message', (message: ServerMessage) => {
      if (message.type === 'ready') resolve({ child, ports: { ...message.ports } })
      else reject(new Error(`the servers did not start: ${message.error}`))
    })
  })
}

/**
 * Pins the servers' process (every thread) to the last CPU and this process, the load generator,
 * to the others, so that neither takes cycles from the other; null where there is one CPU or no
 * `taskset`.
 */
function pinApart(serversPid: number): HttpResult['pinning'] {
  const cpus = availableParallelism()
  if (cpus < 2) return null
  const servers = String(cpus - 1)
  const loadGenerator = cpus === 2 ? '0' : `0-${cpus - 2}`
  try {
    execFileSync('taskset', ['-a', '-p', '-c', servers, String(serversPid)], { stdio: 'ignore' })
    execFileSync('taskset', ['-a', '-p', '-c', loadGenerator, String(process.pid)], {
      stdio: 'ignore',
    })
  } catch {
    return null
  }
  return { servers, loadGenerator }
}

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100
  } catch {
    return 100
  }
})()

/** Seconds of CPU a process has used so far (user and system, every thread), from /proc. */
function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND
  } catch {
    return Number.NaN
  }
}

function cannon(
  port: number,
  seconds: number,
  body: Buffer,
  nextToken: () => string,
): Promise<Omit<RoundSample, 'cpu'>> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path: WEBHOOK_PATH,
            body,
            setupRequest: (request) => ({
              ...request,
              headers: {
                'content-type': 'application/json',
                'x-signature': nextToken(),
              },
            }),
          },
        ],
      },
      (error: unknown, result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)))
        resolve({
          rps: result['2xx'] / result.duration,
          p99: result.latency.p99,
          p50: result.latency.p50,
          requests: result['2xx'] + result.non2xx,
          non2xx: result.non2xx,
          errors: result.errors,
        })
      },
    )
  })
}

export async function runHttpScenario(log: (line: string) => void): Promise<HttpResult> {
  if (POOL_SIZE <= REPLAY_STORE_ENTRIES) {
    throw new RangeError(`BENCH_HTTP_TOKENS must exceed the replay store's ${REPLAY_STORE_ENTRIES}`)
  }
  const key = generateSigningKey('RS256', 'bench-http')
  const body = webhookBody()
  log(`signing ${POOL_SIZE} RS256 tokens (one jti each)…`)
  const pool = await signTokenPool(key, webhookTemplate(key, body), POOL_SIZE)
  const { child, ports } = await startServers(key.jwk)
  child.removeAllListeners('exit')
  const serversPid = child.pid as number
  const pinning = pinApart(serversPid)
  log(
    pinning === null
      ? 'not pinned: one CPU, or no taskset'
      : `servers pinned to CPU ${pinning.servers}, load generator to CPU ${pinning.loadGenerator}`,
  )
  try {
    const cursors = new Map<HttpContender, number>(HTTP_CONTENDERS.map((name) => [name, 0]))
    const tokenSource = (name: HttpContender) => (): string => {
      const at = cursors.get(name) as number
      cursors.set(name, at + 1)
      return pool[at % pool.length] as string
    }

    log(
      `${HTTP_CONTENDERS.length} apps, ${CONNECTIONS} connections, ${WARM_UP_SECONDS} s warm-up + ` +
        `${ROUNDS} interleaved rounds of ${ROUND_SECONDS} s each…`,
    )
    for (const name of HTTP_CONTENDERS) {
      await cannon(ports[name], WARM_UP_SECONDS, body, tokenSource(name))
    }
    const samples = new Map<HttpContender, RoundSample[]>(HTTP_CONTENDERS.map((name) => [name, []]))
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < HTTP_CONTENDERS.length; k++) {
        const name = HTTP_CONTENDERS[(round + k) % HTTP_CONTENDERS.length] as HttpContender
        const cpuBefore = cpuSeconds(serversPid)
        const sample = await cannon(ports[name], ROUND_SECONDS, body, tokenSource(name))
        const cpu = (cpuSeconds(serversPid) - cpuBefore) / ROUND_SECONDS
        samples.get(name)?.push({ ...sample, cpu })
      }
    }

    const rows = HTTP_CONTENDERS.map((name): HttpRow => {
      const own = samples.get(name) as RoundSample[]
      const rps = summarize(own.map((s) => s.rps))
      const baseline = BASELINE[name]
      const base = baseline === undefined ? undefined : (samples.get(baseline) as RoundSample[])
      const ratio =
        base && summarize(own.map((s, r) => s.rps / (base[r] as RoundSample).rps)).median
      const target = TARGETS[name]
      return {
        name,
        verified: baseline !== undefined,
        requestsPerSecond: rps.median,
        p25RequestsPerSecond: rps.p25,
        p75RequestsPerSecond: rps.p75,
        p99Ms: summarize(own.map((s) => s.p99)).median,
        p50Ms: summarize(own.map((s) => s.p50)).median,
        requests: own.reduce((sum, s) => sum + s.requests, 0),
        non2xx: own.reduce((sum, s) => sum + s.non2xx, 0),
        errors: own.reduce((sum, s) => sum + s.errors, 0),
        // Paired by round: both ran within seconds of each other.
        ...(ratio !== undefined && { baseline, ratioToBaseline: ratio }),
        stable:
          rps.p25 >= rps.median * (1 - STABLE_SPREAD) &&
          rps.p75 <= rps.median * (1 + STABLE_SPREAD),
        serverCpu: summarize(own.map((s) => s.cpu)).median,
        ...(target !== undefined &&
          ratio !== undefined && { target: { ratio: target, met: ratio >= target } }),
      }
    })
    for (const row of rows) {
      if (!row.verified && row.serverCpu < 0.9) {
        log(
          `warning: ${row.name} used ${(row.serverCpu * 100).toFixed(0)} % of a core: the load ` +
            'generator, not the server, may set its rate',
        )
      }
    }
    return {
      pinning,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      roundSeconds: ROUND_SECONDS,
      warmUpSeconds: WARM_UP_SECONDS,
      bodyBytes: body.length,
      rows,
    }
  } finally {
    child.kill()
  }
}
