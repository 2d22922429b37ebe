/**
 * Memory bounds under load: one verifier takes 1,000,000 valid webhooks with distinct jtis,
 * 100,000 tokens naming distinct unknown kids and 10,000 naming distinct unknown issuers, all signed
 * with Ed25519 on the fly, against a JWKS endpoint on loopback with the default cooldown. It prints
 * resident memory and heap before and after (each after a full GC) and at checkpoints on the way,
 * then checks that the replay store holds exactly its configured number of ids, that the JWKS
 * endpoint was asked at most once per cooldown, and that the heap stopped growing once the replay
 * store was full. Exits non-zero when a check fails.
 *
 *   pnpm stress
 *   pnpm stress --verifications 200000 --max-entries 50000
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import { parseArgs } from 'node:util'
import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import { createMemoryReplayStore, createVerifier } from '@hookseal/core'
import type { VerifierEvent } from '@hookseal/core'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import { verdictOf } from '@hookseal/test-support/verdict'

const { values } = parseArgs({
  options: {
    verifications: { type: 'string', default: '1000000' },
    'unknown-kids': { type: 'string', default: '100000' },
    'unknown-issuers': { type: 'string', default: '10000' },
    'max-entries': { type: 'string', default: '100000' },
  },
})

function count(name: string, value: string | undefined): number {
  const number = Number(value)
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new TypeError(`--${name} must be a positive integer, not ${value}`)
  }
  return number
}

const VERIFICATIONS = count('verifications', values.verifications)
const UNKNOWN_KIDS = count('unknown-kids', values['unknown-kids'])
const UNKNOWN_ISSUERS = count('unknown-issuers', values['unknown-issuers'])
const MAX_ENTRIES = count('max-entries', values['max-entries'])
if (MAX_ENTRIES >= VERIFICATIONS) throw new TypeError('--max-entries must be below --verifications')

const ISSUER = 'https://partner.example'
const AUDIENCE = 'https://receiver.example/webhooks'
const KID = 'stress-1'
const COOLDOWN_MS = 30_000
const BODY = Buffer.from('{"event":"invoice.paid","amount":4200}')
const DIGEST = createHash('sha256').update(BODY).digest('hex')
const PROBES = 1000

const gc: () => void =
  (globalThis as { gc?: () => void }).gc ??
  (() => {
    setFlagsFromString('--expose-gc')
    return runInNewContext('gc') as () => void
  })()

const MiB = 1024 * 1024
const fmt = new Intl.NumberFormat('en-US')

interface Snapshot {
  readonly rss: number
  readonly heapUsed: number
  readonly heapTotal: number
  readonly external: number
}

function snapshot(): Snapshot {
  gc()
  gc()
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage()
  return { rss, heapUsed, heapTotal, external }
}

function describeMemory(s: Snapshot): string {
  const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`
  return `rss ${mib(s.rss)}, heap used ${mib(s.heapUsed)} of ${mib(s.heapTotal)}, external ${mib(s.external)}`
}

// The sender: one Ed25519 key (signing costs some 30 µs), its JWKS on loopback.
const { privateKey, publicKey } = generateKeyPairSync('ed25519')
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: KID, alg: 'EdDSA', use: 'sig' }
const jwksServer = await startJwksServer(
  { keys: [jwk] },
  { headers: { 'cache-control': 'max-age=600' } },
)
const jwksUri = jwksServer.url

const events = new Map<string, number>()
const verifier = createVerifier({
  issuers: [{ issuer: ISSUER, jwksUri, audience: AUDIENCE, algorithms: ['EdDSA'] }],
  replayStore: createMemoryReplayStore({ maxEntries: MAX_ENTRIES }),
  allowInsecureHttp: true,
  onEvent: (event: VerifierEvent) => events.set(event.type, (events.get(event.type) ?? 0) + 1),
})

const segment = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const HEADER = segment({ alg: 'EdDSA', kid: KID })

function token(jti: string, options: { kid?: string; iss?: string } = {}): string {
  const now = Math.floor(Date.now() / 1000)
  const header = options.kid === undefined ? HEADER : segment({ alg: 'EdDSA', kid: options.kid })
  const input = `${header}.${segment({
    iss: options.iss ?? ISSUER,
    aud: AUDIENCE,
    iat: now,
    exp: now + 300,
    jti,
    request_body_sha256: DIGEST,
  })}`
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`
}

async function verify(signature: string): Promise<string> {
  const verdict = await verdictOf(verifier, signature, BODY)
  return verdict.accepted ? 'accepted' : verdict.error.code
}

const outcomes = new Map<string, number>()
const failures: string[] = []
function expectOutcome(what: string, actual: string, expected: string): void {
  outcomes.set(actual, (outcomes.get(actual) ?? 0) + 1)
  if (actual !== expected && failures.length < 20) {
    failures.push(`${what}: ${actual}, expected ${expected}`)
  }
}

console.log(
  `hookseal stress: ${fmt.format(VERIFICATIONS)} valid webhooks with distinct jtis, ` +
    `${fmt.format(UNKNOWN_KIDS)} unknown kids, ${fmt.format(UNKNOWN_ISSUERS)} unknown issuers, ` +
    `one verifier, replay store maxEntries ${fmt.format(MAX_ENTRIES)}, JWKS cooldown ${COOLDOWN_MS / 1000} s`,
)

// Warm up (JIT, the JWKS fetch, lazily allocated structures) before the first measurement.
const warmUp = await verify(token('warm-up'))
if (warmUp !== 'accepted') throw new Error(`the warm-up webhook was refused: ${warmUp}`)
const before = snapshot()
console.log(`before: ${describeMemory(before)}`)

const startedAt = performance.now()
const kidEvery = VERIFICATIONS / UNKNOWN_KIDS
const issuerEvery = VERIFICATIONS / UNKNOWN_ISSUERS
const checkpoints: Array<{ done: number; memory: Snapshot }> = []
const checkpointEvery = Math.max(1, Math.floor(VERIFICATIONS / 10))
let unknownKids = 0
let unknownIssuers = 0
let peakRss = 0

for (let i = 0; i < VERIFICATIONS; i++) {
  expectOutcome(`jti ${i}`, await verify(token(`jti-${i}`)), 'accepted')
  // Unknown kids and issuers interleaved evenly with the valid webhooks.
  while (unknownKids < UNKNOWN_KIDS && unknownKids < (i + 1) / kidEvery) {
    const kid = `unknown-kid-${unknownKids++}`
    expectOutcome(kid, await verify(token(`kid-${i}`, { kid })), 'ERR_KEY_NOT_FOUND')
  }
  while (unknownIssuers < UNKNOWN_ISSUERS && unknownIssuers < (i + 1) / issuerEvery) {
    const iss = `https://unknown-${unknownIssuers++}.example`
    expectOutcome(iss, await verify(token(`iss-${i}`, { iss })), 'ERR_ISSUER_UNKNOWN')
  }
  if ((i + 1) % 10_000 === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss())
  if ((i + 1) % checkpointEvery === 0) {
    const memory = snapshot()
    checkpoints.push({ done: i + 1, memory })
    const elapsed = (performance.now() - startedAt) / 1000
    console.log(
      `${fmt.format(i + 1).padStart(fmt.format(VERIFICATIONS).length)} valid  ` +
        `${elapsed.toFixed(1).padStart(6)} s  ${describeMemory(memory)}`,
    )
  }
}
const elapsedSeconds = (performance.now() - startedAt) / 1000
const after = snapshot()
console.log(`after:  ${describeMemory(after)} (peak rss ${(peakRss / MiB).toFixed(1)} MiB)`)

const checks: Array<[string, boolean]> = []

// The replay store holds the last maxEntries ids and has forgotten everything before them. Tokens
// are signed afresh with the old jtis, so only the store decides. Recent ids first: a replayed id is
// not inserted, so probing it changes nothing; an accepted old id is.
const last = VERIFICATIONS - 1
const oldest = VERIFICATIONS - MAX_ENTRIES
const recent = [oldest, ...Array.from({ length: PROBES }, (_, k) => last - k)]
const forgotten = [oldest - 1, ...Array.from({ length: PROBES }, (_, k) => k)]
let remembered = 0
for (const i of recent) if ((await verify(token(`jti-${i}`))) === 'ERR_REPLAY') remembered++
let evicted = 0
for (const i of forgotten) if ((await verify(token(`jti-${i}`))) === 'accepted') evicted++
checks.push([
  `replay store: the newest ${fmt.format(MAX_ENTRIES)} ids are remembered ` +
    `(${remembered}/${recent.length} probes refused as replays, incl. jti ${oldest})`,
  remembered === recent.length,
])
checks.push([
  `replay store: every older id was forgotten, so it never held more than maxEntries ` +
    `(${evicted}/${forgotten.length} probes accepted again, incl. jti ${oldest - 1})`,
  evicted === forgotten.length,
])

const cooldowns = Math.ceil((elapsedSeconds * 1000) / COOLDOWN_MS)
checks.push([
  `JWKS endpoint asked ${jwksServer.requestCount} times in ${elapsedSeconds.toFixed(0)} s ` +
    `for ${fmt.format(UNKNOWN_KIDS)} unknown kids (at most one fetch per cooldown, ` +
    `plus the first fetch and one refresh per 8 minutes: ≤ ${cooldowns + 2 + Math.ceil(elapsedSeconds / 480)})`,
  jwksServer.requestCount <= cooldowns + 2 + Math.ceil(elapsedSeconds / 480),
])

// Once the store is full, the heap must stop growing: compare the checkpoints after it filled.
const full = checkpoints.filter((c) => c.done >= 2 * MAX_ENTRIES)
const settled = full[0]?.memory.heapUsed ?? after.heapUsed
const growthAfterFull = after.heapUsed - settled
checks.push([
  `heap after the replay store filled: ${(settled / MiB).toFixed(1)} MiB at ` +
    `${fmt.format(full[0]?.done ?? VERIFICATIONS)}, ${(after.heapUsed / MiB).toFixed(1)} MiB at the end ` +
    `(growth ${(growthAfterFull / MiB).toFixed(1)} MiB, bound 16 MiB)`,
  growthAfterFull < 16 * MiB,
])
checks.push([`every verification answered as expected`, failures.length === 0])

await jwksServer.close()

const total = VERIFICATIONS + UNKNOWN_KIDS + UNKNOWN_ISSUERS
console.log(
  [
    `${fmt.format(total)} verifications in ${elapsedSeconds.toFixed(1)} s ` +
      `(${fmt.format(Math.round(total / elapsedSeconds))}/s), ` +
      `heap used +${((after.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB, ` +
      `rss +${((after.rss - before.rss) / MiB).toFixed(1)} MiB`,
    `outcomes: ${[...outcomes].map(([code, n]) => `${code} ${fmt.format(n)}`).join(', ')}`,
    `events: ${[...events].map(([type, n]) => `${type} ${fmt.format(n)}`).join(', ')}`,
    ...checks.map(([text, ok]) => `${ok ? 'ok  ' : 'FAIL'}  ${text}`),
    ...failures.map((failure) => `  ${failure}`),
  ].join('\n'),
)
if (checks.some(([, ok]) => !ok)) process.exitCode = 1
