import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Queue } from 'bullmq'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createDeliveryWorker, createQueuedSender } from '../src/index.js'
import { startTestRedis } from '@hookseal/test-support/redis-server'
import type { TestRedis } from '@hookseal/test-support/redis-server'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { createQueueTestSigner, LOOPBACK, startQueueReceiver } from './queue-fixtures.js'
import type { QueueReceiver } from './queue-fixtures.js'

const CHILD = fileURLToPath(new URL('./queue-worker-child.ts', import.meta.url))
const EVENTS = 50
const QUEUE = 'crash-deliveries'

let redis: TestRedis
let receiver: QueueReceiver

beforeAll(async () => {
  redis = await startTestRedis({ appendOnly: true })
  receiver = await startQueueReceiver()
})

afterAll(async () => {
  await receiver.close()
  await redis.stop()
})

function startChild(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@hookseal/source', CHILD, String(redis.port), QUEUE],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the worker exited early (${code})`)))
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child)
    })
  })
}

it('loses no delivery when a worker process is SIGKILLed mid-batch', async () => {
  const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }
  const queued = createQueuedSender({ connection, queueName: QUEUE })
  const ids: string[] = []
  for (let n = 0; n < EVENTS; n++) {
    const { webhookId } = await queued.send({ url: receiver.url, body: JSON.stringify({ n }) })
    ids.push(webhookId)
  }
  // Slow enough that the worker holds several deliveries in flight when it dies.
  receiver.answer = () => new Promise((resolve) => setTimeout(() => resolve(204), 60))

  const child = await startChild()
  child.removeAllListeners('exit')
  await waitUntil(() => receiver.requests.length >= 15, 'the first deliveries', 15_000)
  const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
  child.kill('SIGKILL')
  expect(await exited).toBe('SIGKILL')
  const beforeCrash = receiver.ids().size
  expect(beforeCrash).toBeLessThan(EVENTS)

  const inspect = new Queue(QUEUE, { connection })
  // Jobs the dead worker had taken are still active, under its (now expiring) locks.
  expect(await inspect.getActiveCount()).toBeGreaterThan(0)

  const worker = createDeliveryWorker({
    connection,
    queueName: QUEUE,
    signer: await createQueueTestSigner(),
    ...LOOPBACK,
    concurrency: 10,
    lockDuration: 1000,
    stalledInterval: 500,
  })
  try {
    await waitUntil(() => receiver.ids().size === EVENTS, 'every event', 15_000)
    await expect
      .poll(() => inspect.getJobCounts('wait', 'active', 'delayed', 'failed'), { timeout: 5000 })
      .toEqual({ wait: 0, active: 0, delayed: 0, failed: 0 })
  } finally {
    await worker.close()
    await inspect.close()
    await queued.close()
  }

  // At least once: every event arrived, none missing, none unknown.
  expect([...receiver.ids()].sort()).toEqual([...ids].sort())
  const copies = new Map<string, number>()
  for (const request of receiver.requests) {
    copies.set(request.webhookId, (copies.get(request.webhookId) ?? 0) + 1)
  }
  // The deliveries in flight at the kill arrived twice, under the same Webhook-Id.
  expect(receiver.requests.length).toBeGreaterThanOrEqual(EVENTS)
  // De-duplication by Webhook-Id leaves exactly one copy of each event.
  const deduplicated = new Map(
    receiver.requests.map((request) => [request.webhookId, request.body]),
  )
  expect(deduplicated.size).toBe(EVENTS)
  expect(new Set(deduplicated.values()).size).toBe(EVENTS)
  console.info(
    `crash test: ${beforeCrash} delivered before SIGKILL, ${receiver.requests.length} requests, ` +
      `${[...copies.values()].filter((count) => count > 1).length} events delivered twice`,
  )
})
