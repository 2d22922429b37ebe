/**
 * Scenario 5: resident memory after 1,000,000 verifications with distinct `jti`s under default
 * settings. The verifier runs in a child process started with `--expose-gc`; a worker thread here
 * signs ES256 tokens (RS256 signing is 10× slower, and a million of them would take minutes) and
 * streams them to it in batches, so no more than a few batches exist at any time.
 */
import { fork } from 'node:child_process'
import { generateSigningKey, serveBenchJwks, webhookBody } from '../lib/fixtures.js'
import { startTokenSigner, webhookTemplate } from '../lib/tokens.js'
import type { FromMemoryChild, MemoryChildReport, ToMemoryChild } from './memory-child.js'

const TOTAL = Number(process.env.BENCH_MEMORY_VERIFICATIONS ?? 1_000_000)
const BATCH = 10_000
const CHECKPOINT_EVERY = 100_000
/** Batches signed ahead of the verifier, so that it never waits. */
const AHEAD = 3

export interface MemoryResult extends MemoryChildReport {
  readonly algorithm: 'ES256'
  readonly replayStore: string
  readonly verificationsPerSecond: number
}

export async function runMemoryScenario(log: (line: string) => void): Promise<MemoryResult> {
  const key = generateSigningKey('ES256', 'bench-memory')
  const body = webhookBody()
  const signer = startTokenSigner(key, webhookTemplate(key, body))
  const jwks = await serveBenchJwks([key.jwk])
  const child = fork(
    new URL('./memory-child.ts', import.meta.url),
    [jwks.url, String(TOTAL), String(CHECKPOINT_EVERY)],
    {
      execArgv: [...process.execArgv, '--expose-gc'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  )
  try {
    log(`${TOTAL.toLocaleString('en')} ES256 verifications in a child process…`)
    // The verifier needs TOTAL tokens plus the one its baseline uses.
    let requested = 0
    const ahead: Array<Promise<string[]>> = []
    const refill = (): void => {
      while (ahead.length < AHEAD && requested < TOTAL + 1) {
        const count = Math.min(BATCH, TOTAL + 1 - requested)
        requested += count
        ahead.push(signer.sign(count))
      }
    }
    refill()
    const report = await new Promise<MemoryChildReport>((resolve, reject) => {
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`the verifying process exited with ${code}`)))
      child.on('message', (message: FromMemoryChild) => {
        if (message.type === 'want') {
          const next = ahead.shift()
          refill()
          if (next === undefined) return reject(new Error('the verifier asked for too many tokens'))
          next.then(
            (tokens) => child.send({ type: 'tokens', tokens } satisfies ToMemoryChild),
            reject,
          )
        } else if (message.type === 'checkpoint') {
          const { verifications, rssMiB, heapUsedMiB } = message.checkpoint
          log(`  ${verifications.toLocaleString('en')}: RSS ${rssMiB} MiB, heap ${heapUsedMiB} MiB`)
        } else {
          resolve(message.report)
        }
      })
    })
    return {
      ...report,
      algorithm: 'ES256',
      replayStore: 'default (in-memory, maxEntries 100000)',
      verificationsPerSecond: report.verifications / report.seconds,
    }
  } finally {
    child.removeAllListeners('exit')
    child.kill()
    await signer.close()
    await jwks.close()
  }
}
