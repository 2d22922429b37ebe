/**
 * Scenario 4: delivery. Signed webhooks per second from hookseal's sender (keep-alive, signing on
 * the thread pool while several deliveries are in flight) to a loopback receiver (node:http
 * answering 204, in a forked process), against the raw signing rate of the same key: node:crypto's
 * `sign` alone, one at a time on the main thread. Target: the sender at
 * {@link TARGET_RATIO}× that rate or more, per algorithm. Beside it, `createSigner().sign`, the
 * thread pool's own signing rate (the ceiling of signing off the event loop on this machine), and
 * two reference rows that send the same signed request with a plain `http.request`, once on a fresh
 * connection per request and once over a keep-alive agent, so that the cost of the sender's own
 * work is visible. RS256 (2048-bit) and ES256 (P-256), a 1 KiB JSON body, a fixed number of
 * requests in flight, a fixed time per batch, interleaved rounds.
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { sign as cryptoSign } from 'node:crypto'
import type { KeyObject, SignKeyObjectInput } from 'node:crypto'
import { Agent, request as httpRequest } from 'node:http'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { createSender, createSigner, loadKeySet } from '@hookseal/core/send'
import type { Sender, Signer } from '@hookseal/core/send'
import { ISSUER, WEBHOOK_PATH, generateSigningKey, webhookBody } from '../lib/fixtures.js'
import type { BenchAlgorithm } from '../lib/fixtures.js'
import { summarize } from '../lib/stats.js'
import type { ReceiverCounts, ReceiverMessage, ReceiverRequest } from './delivery-receiver.js'

/** Requests in flight at once for every contender that goes over the network. */
const CONCURRENCY = 16
const ROUNDS = 6
const WARM_UP_ROUNDS = 1
/** Long enough for the middle half of the rounds to stay within about ±10 % of the median. */
const ROUND_SECONDS = Number(process.env.BENCH_DELIVERY_SECONDS ?? 1)
/** `createSender().send` against raw `crypto.sign` of the same key, one at a time. */
export const TARGET_RATIO = 0.85
const SENDER = 'createSender().send'
const RAW = 'crypto.sign (raw)'
const ALGORITHMS: readonly BenchAlgorithm[] = ['RS256', 'ES256']

type Connection = 'new per request' | 'keep-alive'

export interface DeliveryRow {
  readonly alg: BenchAlgorithm
  readonly name: string
  /** How requests reach the receiver; absent for the rows that only sign. */
  readonly connection?: Connection
  readonly concurrency: number
  /** Median over rounds of completed operations per second, with the middle half of the rounds. */
  readonly opsPerSecond: number
  readonly p25OpsPerSecond: number
  readonly p75OpsPerSecond: number
  /** Median per-round ratio to raw `crypto.sign` with the same key. */
  readonly ratioToRawSign: number
  /** TCP connections the receiver accepted per request it answered (warm-up included). */
  readonly connectionsPerRequest?: number
  readonly operations: number
  /** Deliveries that failed (non-2xx, network error, refused): must be 0 for a valid row. */
  readonly errors: number
  /** The least `ratioToRawSign` this row must reach, for the rows that have a target. */
  readonly target?: number
  /** Whether `ratioToRawSign` reached `target`. */
  readonly met?: boolean
}

/** The target of one algorithm: the sender's throughput against raw signing. */
export interface DeliveryTarget {
  readonly alg: BenchAlgorithm
  readonly ratio: number
  readonly target: number
  readonly met: boolean
}

export interface DeliveryResult {
  readonly concurrency: number
  readonly rounds: number
  readonly warmUpRounds: number
  readonly roundSeconds: number
  readonly bodyBytes: number
  /** Whether `createSender` reused connections, as the receiver saw it. */
  readonly senderKeepAlive: boolean
  /** Median over rounds of sender ÷ keep-alive reference throughput, per algorithm. */
  readonly senderToKeepAlive: Readonly<Record<BenchAlgorithm, number>>
  /** `createSender().send` ≥ {@link TARGET_RATIO}× raw `crypto.sign`, per algorithm. */
  readonly targets: readonly DeliveryTarget[]
  /** Widest half-spread of the middle half of the rounds, (p75 − p25) / 2 ÷ median, over rows. */
  readonly widestSpread: number
  /** libuv thread pool size the run had (`UV_THREADPOOL_SIZE`, default 4). */
  readonly threadPoolSize: number
  readonly rows: readonly DeliveryRow[]
}

interface Contender {
  readonly alg: BenchAlgorithm
  readonly name: string
  readonly connection?: Connection
  /** The receiver's server this contender sends to. */
  readonly receiver?: string
  readonly concurrency: number
  readonly sync?: () => void
  readonly run?: () => Promise<void>
}

interface Batch {
  readonly opsPerSecond: number
  readonly operations: number
  readonly errors: number
}

function startReceiver(
  names: readonly string[],
): Promise<{ child: ChildProcess; ports: Record<string, number> }> {
  const child = fork(new URL('./delivery-receiver.ts', import.meta.url), [JSON.stringify(names)], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the receiver's process exited with ${code}`)))
    child.once('message', (message: ReceiverMessage) => {
      if (message.type === 'ready') resolve({ child, ports: { ...message.ports } })
      else reject(new Error(`the receiver did not start: ${'error' in message && message.error}`))
    })
  })
}

function receiverCounts(child: ChildProcess): Promise<Record<string, ReceiverCounts>> {
  return new Promise((resolve) => {
    const onMessage = (message: ReceiverMessage): void => {
      if (message.type !== 'counts') return
      child.off('message', onMessage)
      resolve({ ...message.counts })
    }
    child.on('message', onMessage)
    child.send({ type: 'counts' } satisfies ReceiverRequest)
  })
}

/** The libuv thread pool's size: `UV_THREADPOOL_SIZE` when set (1–1024), else libuv's 4. */
function threadPoolSize(): number {
  const size = Number(process.env.UV_THREADPOOL_SIZE)
  return Number.isInteger(size) && size >= 1 ? Math.min(size, 1024) : 4
}

/** One POST with a plain `http.request`, resolved once the whole response has arrived. */
function post(
  url: URL,
  agent: Agent | false,
  body: Buffer,
  headers: Record<string, string>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.length),
          ...headers,
        },
      },
      (response) => {
        response.resume()
        response.on('end', () => {
          const status = response.statusCode ?? 0
          if (status >= 200 && status < 300) resolve()
          else reject(new Error(`status ${status}`))
        })
        response.on('error', reject)
      },
    )
    request.on('error', reject)
    request.end(body)
  })
}

/** Runs a contender for `seconds`: a plain loop if it is synchronous, else `concurrency` lanes. */
async function runBatch(contender: Contender, seconds: number): Promise<Batch> {
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(Math.round(seconds * 1e9))
  let operations = 0
  let errors = 0
  if (contender.sync !== undefined) {
    const once = contender.sync
    while (process.hrtime.bigint() < deadline) {
      once()
      operations++
    }
  } else {
    const once = contender.run as () => Promise<void>
    const lane = async (): Promise<void> => {
      while (process.hrtime.bigint() < deadline) {
        try {
          await once()
          operations++
        } catch {
          errors++
        }
      }
    }
    await Promise.all(Array.from({ length: contender.concurrency }, lane))
  }
  // Up to the last operation's end: lanes in flight at the deadline finish and count.
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9
  return { opsPerSecond: operations / elapsed, operations, errors }
}

async function contendersFor(
  alg: BenchAlgorithm,
  body: Buffer,
  ports: Readonly<Record<string, number>>,
  keepAliveAgent: Agent,
  senders: Sender[],
): Promise<Contender[]> {
  const key = generateSigningKey(alg, `bench-delivery-${alg.toLowerCase()}`)
  const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  const keys = await loadKeySet({ keys: [{ pem, kid: key.kid, alg }] })
  const signer: Signer = createSigner({ issuer: ISSUER, keys })
  const urlOf = (receiver: string): URL =>
    new URL(`http://127.0.0.1:${ports[receiver] as number}${WEBHOOK_PATH}`)

  // A signing input of the size the signer makes for this body: header and claims of one token.
  const sample = await signer.sign({ body, url: urlOf(`${alg} sender`).href })
  const signingInput = Buffer.from(sample['x-signature'].split('.').slice(0, 2).join('.'))
  const privateKey: KeyObject = key.privateKey
  const keyInput: KeyObject | SignKeyObjectInput =
    alg === 'RS256' ? privateKey : { key: privateKey, dsaEncoding: 'ieee-p1363' }
  const rawSign = (): void => void cryptoSign('sha256', signingInput, keyInput)
  const threadPoolSign = (): Promise<void> =>
    new Promise((resolve, reject) => {
      cryptoSign('sha256', signingInput, keyInput, (error) => (error ? reject(error) : resolve()))
    })

  const sender = createSender({
    signer,
    onDeadLetter: () => undefined,
    allowInsecureHttp: true,
    allowPrivateAddresses: ['127.0.0.1'],
    // A failure shows at once as an error, not as a retry hidden in the throughput.
    maxAttempts: 1,
    // One idle connection per delivery in flight, as the keep-alive reference keeps: with the
    // default 10, connections freed while 16 deliveries wait for their signatures are closed and
    // opened again.
    keepAlive: { maxIdleSockets: CONCURRENCY },
  })
  senders.push(sender)
  const senderUrl = urlOf(`${alg} sender`).href
  const freshUrl = urlOf(`${alg} fresh`)
  const pooledUrl = urlOf(`${alg} keep-alive`)

  return [
    { alg, name: RAW, concurrency: 1, sync: rawSign },
    { alg, name: 'crypto.sign (thread pool)', concurrency: CONCURRENCY, run: threadPoolSign },
    {
      alg,
      name: 'createSigner().sign',
      concurrency: 1,
      run: async () => {
        await signer.sign({ body, url: senderUrl })
      },
    },
    {
      alg,
      name: SENDER,
      connection: 'keep-alive',
      receiver: `${alg} sender`,
      concurrency: CONCURRENCY,
      run: async () => {
        await sender.send({ url: senderUrl, body })
      },
    },
    {
      alg,
      name: 'sign + http.request',
      connection: 'new per request',
      receiver: `${alg} fresh`,
      concurrency: CONCURRENCY,
      run: async () => {
        await post(freshUrl, false, body, await signer.sign({ body, url: freshUrl.href }))
      },
    },
    {
      alg,
      name: 'sign + http.request',
      connection: 'keep-alive',
      receiver: `${alg} keep-alive`,
      concurrency: CONCURRENCY,
      run: async () => {
        await post(
          pooledUrl,
          keepAliveAgent,
          body,
          await signer.sign({ body, url: pooledUrl.href }),
        )
      },
    },
  ]
}

export async function runDeliveryScenario(log: (line: string) => void): Promise<DeliveryResult> {
  const body = webhookBody()
  const receivers = ALGORITHMS.flatMap((alg) => [
    `${alg} sender`,
    `${alg} fresh`,
    `${alg} keep-alive`,
  ])
  const { child, ports } = await startReceiver(receivers)
  child.removeAllListeners('exit')
  const keepAliveAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const senders: Sender[] = []
  try {
    const contenders: Contender[] = []
    for (const alg of ALGORITHMS) {
      contenders.push(...(await contendersFor(alg, body, ports, keepAliveAgent, senders)))
    }
    log(
      `${contenders.length} contenders (RS256 and ES256), ${CONCURRENCY} in flight over the ` +
        `network and on the thread pool (${threadPoolSize()} threads), ` +
        `${WARM_UP_ROUNDS} warm-up + ${ROUNDS} interleaved rounds of ${ROUND_SECONDS} s…`,
    )
    const batches = contenders.map((): Batch[] => [])
    for (let round = 0; round < WARM_UP_ROUNDS + ROUNDS; round++) {
      for (let k = 0; k < contenders.length; k++) {
        const which = (round + k) % contenders.length
        const batch = await runBatch(contenders[which] as Contender, ROUND_SECONDS)
        if (round >= WARM_UP_ROUNDS) batches[which]?.push(batch)
        // Let closing sockets and timers settle between batches, not inside the next one.
        await yieldToLoop()
      }
    }
    const counts = await receiverCounts(child)

    const rows = contenders.map((contender, i): DeliveryRow => {
      const own = batches[i] as Batch[]
      const raw = batches[
        contenders.findIndex((c) => c.alg === contender.alg && c.name === RAW)
      ] as Batch[]
      const rate = summarize(own.map((b) => b.opsPerSecond))
      const seen = contender.receiver === undefined ? undefined : counts[contender.receiver]
      const ratioToRawSign = summarize(
        own.map((b, r) => b.opsPerSecond / (raw[r] as Batch).opsPerSecond),
      ).median
      return {
        alg: contender.alg,
        name: contender.name,
        ...(contender.connection && { connection: contender.connection }),
        concurrency: contender.concurrency,
        opsPerSecond: rate.median,
        p25OpsPerSecond: rate.p25,
        p75OpsPerSecond: rate.p75,
        // Paired by round: both ran within seconds of each other.
        ratioToRawSign,
        ...(seen && {
          connectionsPerRequest: seen.requests === 0 ? 0 : seen.connections / seen.requests,
        }),
        operations: own.reduce((sum, b) => sum + b.operations, 0),
        errors: own.reduce((sum, b) => sum + b.errors, 0),
        ...(contender.name === SENDER && {
          target: TARGET_RATIO,
          met: ratioToRawSign >= TARGET_RATIO,
        }),
      }
    })
    const pick = (alg: BenchAlgorithm, name: string, connection?: Connection): number =>
      contenders.findIndex((c) => c.alg === alg && c.name === name && c.connection === connection)
    const senderToKeepAlive = Object.fromEntries(
      ALGORITHMS.map((alg) => {
        const sent = batches[pick(alg, SENDER, 'keep-alive')] as Batch[]
        const pooled = batches[pick(alg, 'sign + http.request', 'keep-alive')] as Batch[]
        return [
          alg,
          summarize(sent.map((b, r) => b.opsPerSecond / (pooled[r] as Batch).opsPerSecond)).median,
        ]
      }),
    ) as Record<BenchAlgorithm, number>
    const senderRows = rows.filter((row) => row.name === SENDER)
    const targets = senderRows.map((row): DeliveryTarget => ({
      alg: row.alg,
      ratio: row.ratioToRawSign,
      target: TARGET_RATIO,
      met: row.ratioToRawSign >= TARGET_RATIO,
    }))
    const widestSpread = Math.max(
      ...rows.map((row) => (row.p75OpsPerSecond - row.p25OpsPerSecond) / 2 / row.opsPerSecond),
    )
    return {
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      warmUpRounds: WARM_UP_ROUNDS,
      roundSeconds: ROUND_SECONDS,
      bodyBytes: body.length,
      senderKeepAlive: senderRows.some((row) => (row.connectionsPerRequest ?? 1) < 0.5),
      senderToKeepAlive,
      targets,
      widestSpread,
      threadPoolSize: threadPoolSize(),
      rows,
    }
  } finally {
    for (const sender of senders) await sender.close()
    keepAliveAgent.destroy()
    child.kill()
  }
}
