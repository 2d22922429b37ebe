/**
 * Scenario 2: verification over HTTP. Each adapter's route with and without hookseal, and the
 * express-jwt + jwks-rsa stack, under load from autocannon on 127.0.0.1. The receivers run in a
 * forked process, the load generator here; every request carries a token of its own.
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import autocannon from 'autocannon'
import { WEBHOOK_PATH, generateSigningKey, webhookBody } from '../lib/fixtures.js'
import { summarize } from '../lib/stats.js'
import { signTokenPool, webhookTemplate } from '../lib/tokens.js'
import { HTTP_CONTENDERS } from './http-servers.js'
import type { HttpContender, ServerMessage } from './http-servers.js'

const CONNECTIONS = 10
const ROUNDS = 5
const ROUND_SECONDS = 1
const WARM_UP_SECONDS = 0.5
/**
 * Tokens signed for the run. Every verifying app has its own replay store, so they all draw from
 * the same pool; it only has to outlast the busiest single contender.
 */
const POOL_SIZE = Number(process.env.BENCH_HTTP_TOKENS ?? 80_000)

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
}

export interface HttpResult {
  readonly connections: number
  readonly rounds: number
  readonly roundSeconds: number
  readonly warmUpSeconds: number
  readonly bodyBytes: number
  readonly rows: readonly HttpRow[]
}

interface RoundSample {
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

function cannon(
  port: number,
  seconds: number,
  body: Buffer,
  nextToken: () => string,
): Promise<RoundSample> {
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
  const key = generateSigningKey('RS256', 'bench-http')
  const body = webhookBody()
  log(`signing ${POOL_SIZE} RS256 tokens (one jti each)…`)
  const pool = await signTokenPool(key, webhookTemplate(key, body), POOL_SIZE)
  const { child, ports } = await startServers(key.jwk)
  child.removeAllListeners('exit')
  try {
    const cursors = new Map<HttpContender, number>(HTTP_CONTENDERS.map((name) => [name, 0]))
    let wrapped = false
    const tokenSource = (name: HttpContender) => (): string => {
      const at = cursors.get(name) as number
      cursors.set(name, at + 1)
      // Only apps with replay protection refuse a token seen before; the others may reuse them.
      if (at >= pool.length && name.includes('hookseal')) wrapped = true
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
        const sample = await cannon(ports[name], ROUND_SECONDS, body, tokenSource(name))
        samples.get(name)?.push(sample)
      }
    }
    if (wrapped) {
      log(`warning: a hookseal app needed more than ${POOL_SIZE} tokens; raise BENCH_HTTP_TOKENS`)
    }

    const rows = HTTP_CONTENDERS.map((name): HttpRow => {
      const own = samples.get(name) as RoundSample[]
      const rps = summarize(own.map((s) => s.rps))
      const baseline = BASELINE[name]
      const base = baseline === undefined ? undefined : (samples.get(baseline) as RoundSample[])
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
        ...(base && {
          baseline,
          // Paired by round: both ran within seconds of each other.
          ratioToBaseline: summarize(own.map((s, r) => s.rps / (base[r] as RoundSample).rps))
            .median,
        }),
      }
    })
    return {
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
