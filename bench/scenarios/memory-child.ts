/**
 * The verifying side of scenario 5, in a process of its own (forked by `memory.ts` with
 * `--expose-gc`) so that its resident memory is the verifier's alone: tokens arrive in batches over
 * IPC, are verified one after another, and are dropped.
 */
import { createVerifier } from '@hookseal/core'
import { AUDIENCE, ISSUER, WEBHOOK_PATH, webhookBody } from '../lib/fixtures.js'

/** Messages between this process and `memory.ts`. */
export type ToMemoryChild = { readonly type: 'tokens'; readonly tokens: readonly string[] }
export type FromMemoryChild =
  | { readonly type: 'want' }
  | { readonly type: 'checkpoint'; readonly checkpoint: MemoryCheckpoint }
  | { readonly type: 'done'; readonly report: MemoryChildReport }

export interface MemoryCheckpoint {
  readonly verifications: number
  readonly rssMiB: number
  readonly heapUsedMiB: number
}

export interface MemoryChildReport {
  readonly verifications: number
  readonly refused: number
  readonly firstRefusal?: string
  readonly seconds: number
  /** After start-up and one verification (keys fetched), after a full GC. */
  readonly before: { readonly rssMiB: number; readonly heapUsedMiB: number }
  /** Right after the last verification, then after two full GCs. */
  readonly after: { readonly rssMiB: number; readonly heapUsedMiB: number }
  readonly afterGc: {
    readonly rssMiB: number
    readonly heapUsedMiB: number
    readonly externalMiB: number
    readonly arrayBuffersMiB: number
  }
  readonly checkpoints: readonly MemoryCheckpoint[]
}

const MiB = 1024 * 1024
const mib = (bytes: number): number => Math.round((bytes / MiB) * 10) / 10

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with --expose-gc')
  gc()
  gc()
}

async function main(): Promise<void> {
  const jwksUri = process.argv[2] as string
  const total = Number(process.argv[3])
  const checkpointEvery = Number(process.argv[4])
  const body = webhookBody()
  // Default settings, but for the algorithm: ES256 lets the volume be signed in time.
  const verifier = createVerifier({
    issuers: [{ issuer: ISSUER, jwksUri, audience: AUDIENCE, algorithms: ['ES256'] }],
    allowInsecureHttp: true,
  })

  const batches: Array<readonly string[]> = []
  let wake: (() => void) | undefined
  process.on('message', (message: ToMemoryChild) => {
    batches.push(message.tokens)
    wake?.()
  })
  const nextBatch = async (): Promise<readonly string[]> => {
    process.send?.({ type: 'want' } satisfies FromMemoryChild)
    while (batches.length === 0) await new Promise<void>((resolve) => (wake = resolve))
    return batches.shift() as readonly string[]
  }

  let done = 0
  let refused = 0
  let firstRefusal: string | undefined
  const checkpoints: MemoryCheckpoint[] = []
  const verifyOne = async (token: string): Promise<void> => {
    try {
      await verifier.verify({
        method: 'POST',
        url: WEBHOOK_PATH,
        headers: ['Content-Type', 'application/json', 'X-Signature', token],
        body,
      })
    } catch (error) {
      refused += 1
      firstRefusal ??= (error as { code?: string }).code ?? String(error)
    }
    done += 1
  }

  // One verification first: the JWKS fetch and the code paths are then part of the baseline.
  let batch = await nextBatch()
  await verifyOne(batch[0] as string)
  collect()
  const start = process.memoryUsage()
  const started = process.hrtime.bigint()
  let at = 1
  while (done < total) {
    if (at >= batch.length) {
      batch = await nextBatch()
      at = 0
    }
    await verifyOne(batch[at++] as string)
    if (done % checkpointEvery === 0) {
      const usage = process.memoryUsage()
      const checkpoint = {
        verifications: done,
        rssMiB: mib(usage.rss),
        heapUsedMiB: mib(usage.heapUsed),
      }
      checkpoints.push(checkpoint)
      process.send?.({ type: 'checkpoint', checkpoint } satisfies FromMemoryChild)
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  batch = []
  const after = process.memoryUsage()
  collect()
  const afterGc = process.memoryUsage()
  const report: MemoryChildReport = {
    verifications: done,
    refused,
    ...(firstRefusal !== undefined && { firstRefusal }),
    seconds,
    before: { rssMiB: mib(start.rss), heapUsedMiB: mib(start.heapUsed) },
    after: { rssMiB: mib(after.rss), heapUsedMiB: mib(after.heapUsed) },
    afterGc: {
      rssMiB: mib(afterGc.rss),
      heapUsedMiB: mib(afterGc.heapUsed),
      externalMiB: mib(afterGc.external),
      arrayBuffersMiB: mib(afterGc.arrayBuffers),
    },
    checkpoints,
  }
  process.send?.({ type: 'done', report } satisfies FromMemoryChild)
}

if (process.send !== undefined && process.argv[1]?.endsWith('memory-child.ts')) {
  process.on('disconnect', () => process.exit(0))
  await main()
}
