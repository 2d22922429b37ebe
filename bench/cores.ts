/**
 * `pnpm bench:cores`: where the CPU time of 32 verifications in flight goes, per thread, to tell
 * what more cores would give. Linux only (per-thread run time from /proc/self/task/<id>/schedstat,
 * which counts time on a CPU and not time waiting for one, so a busy machine skews it less than a
 * wall clock). It prints, per verification: the CPU a bare `crypto.verify` takes on this thread,
 * the event loop's CPU (parsing, claims, digest, replay, and handing checks to the pool and back),
 * the other threads' CPU (the pool's checks, and V8's garbage collector and compiler), and the
 * wall time. Run it with UV_THREADPOOL_SIZE set to see the pool's size at work.
 */
import { verify } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { createMemoryReplayStore, createVerifier } from '@hookseal/core'
import {
  AUDIENCE,
  ISSUER,
  WEBHOOK_PATH,
  generateSigningKey,
  serveBenchJwks,
  webhookBody,
} from './lib/fixtures.js'
import { signTokenPool, TOKEN_LIFETIME, webhookTemplate } from './lib/tokens.js'

const VERIFICATIONS = 30_000
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 32)

const threadNs = (id: string | number): number =>
  Number(readFileSync(`/proc/self/task/${id}/schedstat`, 'utf8').split(' ')[0])
const allThreadsNs = (): number =>
  readdirSync('/proc/self/task').reduce((sum, id) => sum + threadNs(id), 0)
const micros = (ns: number): number => Math.round(ns / 100) / 10

const key = generateSigningKey('RS256', 'bench-cores')
const body = webhookBody()
const tokens = await signTokenPool(key, webhookTemplate(key, body), VERIFICATIONS + 1)
const jwks = await serveBenchJwks([key.jwk])
const replayStore = createMemoryReplayStore()
const until = Date.now() + 600_000
for (let i = 0; i < 100_000; i++) await replayStore.remember(`${ISSUER}\0prefill-${i}`, until)
const verifier = createVerifier({
  issuers: [{ issuer: ISSUER, jwksUri: jwks.url, audience: AUDIENCE, maxTokenAge: TOKEN_LIFETIME }],
  replayStore,
  allowInsecureHttp: true,
})
const request = (token: string) => ({
  method: 'POST',
  url: WEBHOOK_PATH,
  headers: ['Host', 'receiver.example', 'Content-Type', 'application/json', 'X-Signature', token],
  body,
})
await verifier.verify(request(tokens[VERIFICATIONS] as string))

const signed = tokens.slice(0, 5000).map((token) => {
  const dot = token.lastIndexOf('.')
  return {
    input: Buffer.from(token.slice(0, dot)),
    signature: Buffer.from(token.slice(dot + 1), 'base64url'),
  }
})
let mainBefore = threadNs(process.pid)
for (const { input, signature } of signed) verify('sha256', input, key.publicKey, signature)
const bareCheck = (threadNs(process.pid) - mainBefore) / signed.length

let next = 0
mainBefore = threadNs(process.pid)
const allBefore = allThreadsNs()
const started = performance.now()
await Promise.all(
  Array.from({ length: IN_FLIGHT }, async () => {
    while (next < VERIFICATIONS) await verifier.verify(request(tokens[next++] as string))
  }),
)
const wall = ((performance.now() - started) * 1e6) / VERIFICATIONS
const main = (threadNs(process.pid) - mainBefore) / VERIFICATIONS
const others = (allThreadsNs() - allBefore) / VERIFICATIONS - main
console.log(
  JSON.stringify(
    {
      cores: availableParallelism(),
      uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
      inFlight: IN_FLIGHT,
      perVerificationMicros: {
        bareCryptoVerify: micros(bareCheck),
        eventLoopCpu: micros(main),
        otherThreadsCpu: micros(others),
        wall: micros(wall),
      },
      throughputVsBareCryptoVerify: Math.round((bareCheck / wall) * 100) / 100,
    },
    null,
    2,
  ),
)
await jwks.close()
process.exit(0)
