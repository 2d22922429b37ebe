// The delivery soak: `pnpm soak [--deliveries N] [--workers W]`. N deliveries (100,000 by default)
// across 50 loopback destinations, 10 of them flapping and 2 down for the whole run, W worker
// processes (4) of which 2 are SIGKILLed at random moments and replaced. The retry schedule is
// compressed to milliseconds so that the run takes minutes. At the end every delivery must be
// delivered or dead-lettered: none missing. Duplicates (a 2xx answered twice for one id, from the
// at-least-once redelivery after a kill) are counted and reported.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { Queue } from 'bullmq'
import { createQueuedSender } from '@hookseal/bullmq'
import type { DeliveryWorkerOptions } from '@hookseal/bullmq'
import { startTestRedis } from '@hookseal/test-support/redis-server'

const { values } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '4' },
  },
})
const TOTAL = Number(values.deliveries)
const WORKERS = Number(values.workers)
const DESTINATIONS = 50
const FLAPPING = 10
const DOWN = 2
const QUEUE = 'soak'
const WORKER = fileURLToPath(new URL('./soak-worker.ts', import.meta.url))

const WORKER_OPTIONS: Partial<DeliveryWorkerOptions> = {
  concurrency: 64,
  // A day of retries compressed into about 3 s.
  schedule: [20, 50, 100, 200, 400, 800, 1600],
  jitter: 0.2,
  destinationConcurrency: 8,
  holdInterval: 50,
  maxHold: 200,
  timeout: 2000,
  // Long enough that a busy worker on a shared machine renews its locks in time; a killed worker's
  // jobs come back after it.
  lockDuration: 10_000,
  stalledInterval: 5000,
  // The circuit does not open within the run: a paused destination's deliveries wait rather than
  // use up their schedule, and a disabled one's wait for an operator, while the soak wants every
  // delivery to end delivered or dead-lettered. The circuit has tests of its own.
  circuit: { failureThreshold: 1_000_000, disableAfter: 86_400_000 },
}

interface Destination {
  readonly url: string
  readonly kind: 'healthy' | 'flapping' | 'down'
  readonly ok: Map<string, number>
  server?: Server
  failing: boolean
}

async function startDestination(kind: Destination['kind']): Promise<Destination> {
  const destination: Destination = { url: '', kind, ok: new Map(), failing: false }
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      if (destination.failing) return void res.writeHead(503).end()
      const id = String(req.headers['webhook-id'])
      destination.ok.set(id, (destination.ok.get(id) ?? 0) + 1)
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  if (kind === 'down') {
    // Nothing listens on its port for the whole run: every attempt is refused.
    await new Promise<void>((resolve) => server.close(() => resolve()))
  } else {
    destination.server = server
  }
  return Object.assign(destination, { url: `http://127.0.0.1:${port}/hooks` })
}

function startWorker(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@hookseal/source',
      WORKER,
      String(port),
      QUEUE,
      JSON.stringify(WORKER_OPTIONS),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child)
    })
  })
}

const started = performance.now()
const seconds = () => ((performance.now() - started) / 1000).toFixed(1)
const redis = await startTestRedis({ appendOnly: true })
const destinations: Destination[] = []
for (let n = 0; n < DESTINATIONS; n++) {
  destinations.push(
    await startDestination(n < DOWN ? 'down' : n < DOWN + FLAPPING ? 'flapping' : 'healthy'),
  )
}
// Flapping destinations fail and recover at random, every 100 to 600 ms.
const flapping = destinations.filter((destination) => destination.kind === 'flapping')
const flapTimers = flapping.map((destination) => {
  const flip = (): NodeJS.Timeout =>
    setTimeout(
      () => {
        destination.failing = !destination.failing
        timer = flip()
      },
      100 + Math.random() * 500,
    )
  let timer = flip()
  return () => clearTimeout(timer)
})

const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }
const queued = createQueuedSender({ connection, queueName: QUEUE, enqueueTimeout: 30_000 })
const inspect = new Queue(QUEUE, { connection })
const workers: ChildProcess[] = await Promise.all(
  Array.from({ length: WORKERS }, () => startWorker(redis.port)),
)

// Two SIGKILLs at random moments of the sending phase and after it, each worker replaced.
let killed = 0
const kills = [0, 1].map((index) =>
  setTimeout(
    () => {
      const victim = workers[index]
      if (victim === undefined) return
      victim.kill('SIGKILL')
      killed++
      console.log(`${seconds()} s: worker ${victim.pid} SIGKILLed`)
      void startWorker(redis.port).then((replacement) => {
        workers[index] = replacement
      })
    },
    2000 + Math.random() * 8000 * (index + 1),
  ),
)

const ids: string[] = []
const window: Array<Promise<unknown>> = []
for (let n = 0; n < TOTAL; n++) {
  const destination = destinations[n % DESTINATIONS] as Destination
  const webhookId = `soak-${n}`
  ids.push(webhookId)
  window.push(queued.send({ url: destination.url, body: `{"n":${n}}`, webhookId }))
  if (window.length === 200) await Promise.all(window.splice(0))
  if (n % 10_000 === 9_999) console.log(`${seconds()} s: ${n + 1} sent`)
}
await Promise.all(window)
console.log(`${seconds()} s: all ${TOTAL} sent`)

for (;;) {
  const counts = await inspect.getJobCounts('wait', 'active', 'delayed', 'prioritized')
  const left = Object.values(counts).reduce((sum, count) => sum + count, 0)
  if (left === 0 && killed === kills.length) break
  console.log(`${seconds()} s: ${left} left ${JSON.stringify(counts)}`)
  await new Promise((resolve) => setTimeout(resolve, 5000))
}
const elapsed = seconds()

const deadLettered = new Set<string>()
for (let offset = 0; ; offset += 1000) {
  const page = await queued.listDeadLetters({ offset, limit: 1000 })
  for (const letter of page) deadLettered.add(letter.webhookId)
  if (page.length < 1000) break
}
const failedSet = await inspect.getFailedCount()
const failedReasons = new Map<string, number>()
for (const job of await inspect.getFailed(0, 999)) {
  const reason = job.failedReason.slice(0, 80)
  failedReasons.set(reason, (failedReasons.get(reason) ?? 0) + 1)
}
const delivered = new Set<string>()
let duplicates = 0
for (const destination of destinations) {
  for (const [id, count] of destination.ok) {
    delivered.add(id)
    duplicates += count - 1
  }
}
const missing = ids.filter((id) => !delivered.has(id) && !deadLettered.has(id))
const both = ids.filter((id) => delivered.has(id) && deadLettered.has(id)).length
const downIds = new Set(destinations.filter((d) => d.kind === 'down').map((d) => d.url))
const report = {
  deliveries: TOTAL,
  destinations: { total: DESTINATIONS, flapping: FLAPPING, down: DOWN },
  workers: WORKERS,
  workersKilled: killed,
  delivered: delivered.size,
  deadLettered: deadLettered.size,
  deliveredAndDeadLettered: both,
  duplicates,
  failedSet,
  failedReasons: Object.fromEntries(failedReasons),
  missing: missing.length,
  seconds: Number(elapsed),
  downDestinationUrls: downIds.size,
}
console.log(JSON.stringify(report, null, 2))

for (const stop of flapTimers) stop()
kills.forEach(clearTimeout)
for (const worker of workers) worker.kill('SIGKILL')
await inspect.close()
await queued.close()
for (const destination of destinations) destination.server?.closeAllConnections()
for (const destination of destinations) destination.server?.close()
await redis.stop()
process.exit(missing.length === 0 && failedSet === 0 ? 0 : 1)
