import { Queue } from 'bullmq'
import type { Signer } from '@hookseal/core/send'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { createDeliveryWorker, createQueuedSender } from '../src/index.js'
import type {
  DeliveryWorker,
  DeliveryWorkerOptions,
  QueuedDeliveryData,
  QueuedSender,
} from '../src/index.js'
import { startTestRedis } from '@hookseal/test-support/redis-server'
import type { TestRedis } from '@hookseal/test-support/redis-server'
import { createQueueTestSigner, LOOPBACK, startQueueReceiver } from './queue-fixtures.js'
import type { QueueReceiver } from './queue-fixtures.js'

/** What a queue test file works with; fresh receivers and queue name for every test. */
export interface QueueHarness {
  readonly redis: TestRedis
  readonly receiver: QueueReceiver
  readonly queueName: string
  connection(): { host: string; port: number; maxRetriesPerRequest: null }
  /** Another loopback receiver, closed after the test. */
  startReceiver(): Promise<QueueReceiver>
  queued(): QueuedSender
  inspector(): Queue<QueuedDeliveryData>
  /** A worker on this test's queue, over loopback, without jitter unless asked. */
  worker(options?: Partial<DeliveryWorkerOptions>): DeliveryWorker
}

/**
 * Registers the hooks of a queue test file: one append-only redis-server for the file, a receiver
 * and a queue name per test, and everything opened closed after each test.
 */
export function useQueueHarness(prefix: string): QueueHarness {
  let redis: TestRedis
  let signer: Signer
  let receiver: QueueReceiver
  let queueName: string
  let round = 0
  const closers: Array<() => Promise<unknown>> = []

  beforeAll(async () => {
    redis = await startTestRedis({ appendOnly: true })
    signer = await createQueueTestSigner()
  })
  afterAll(() => redis.stop())
  beforeEach(async () => {
    receiver = await startQueueReceiver()
    closers.push(() => receiver.close())
    queueName = `${prefix}-${++round}`
  })
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close()
  })

  const connection = () => ({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null })
  return {
    get redis() {
      return redis
    },
    get receiver() {
      return receiver
    },
    get queueName() {
      return queueName
    },
    connection,
    async startReceiver() {
      const another = await startQueueReceiver()
      closers.push(() => another.close())
      return another
    },
    queued() {
      const sender = createQueuedSender({ connection: connection(), queueName })
      closers.push(() => sender.close())
      return sender
    },
    inspector() {
      const queue = new Queue<QueuedDeliveryData>(queueName, { connection: connection() })
      closers.push(() => queue.close())
      return queue
    },
    worker(options = {}) {
      const started = createDeliveryWorker({
        connection: connection(),
        queueName,
        signer,
        ...LOOPBACK,
        jitter: 0,
        ...options,
      })
      closers.push(() => started.close(true))
      return started
    },
  }
}
