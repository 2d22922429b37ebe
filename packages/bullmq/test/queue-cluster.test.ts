import { afterAll, beforeAll, expect, it } from 'vitest'
import { createDeliveryWorker, createQueuedSender } from '../src/index.js'
import type { DeliveryWorker, QueuedSender } from '../src/index.js'
import { startTestRedisCluster } from '@hookseal/test-support/redis-cluster'
import type { TestRedisCluster } from '@hookseal/test-support/redis-cluster'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { createQueueTestSigner, LOOPBACK, startQueueReceiver } from './queue-fixtures.js'
import type { QueueReceiver } from './queue-fixtures.js'

const QUEUE = 'cluster-deliveries'
const PREFIX = '{hookseal}'
let cluster: TestRedisCluster
let receiver: QueueReceiver
let queued: QueuedSender
let worker: DeliveryWorker

beforeAll(async () => {
  cluster = await startTestRedisCluster()
  receiver = await startQueueReceiver()
}, 60_000)

afterAll(async () => {
  await worker?.close(true)
  await queued?.close()
  await receiver.close()
  await cluster.stop()
})

it('refuses a prefix without a hash tag on a cluster connection, at creation', () => {
  const connection = cluster.client()
  expect(() => createQueuedSender({ connection, queueName: QUEUE })).toThrow(/hash tag/)
  expect(() => createQueuedSender({ connection, queueName: QUEUE, prefix: 'hookseal' })).toThrow(
    TypeError,
  )
})

it('delivers, retries, orders, dead-letters and replays on a three-master Redis Cluster', async () => {
  queued = createQueuedSender({ connection: cluster.client(), queueName: QUEUE, prefix: PREFIX })
  worker = createDeliveryWorker({
    connection: cluster.client(),
    queueName: QUEUE,
    prefix: PREFIX,
    signer: await createQueueTestSigner(),
    ...LOOPBACK,
    schedule: [20, 20],
    jitter: 0,
    holdInterval: 20,
  })
  const seen = new Map<string, number>()
  receiver.answer = (request) => {
    const count = (seen.get(request.webhookId) ?? 0) + 1
    seen.set(request.webhookId, count)
    if (request.webhookId === 'evt_bad') return 400
    return count === 1 ? 503 : 204
  }
  for (let n = 0; n < 5; n++) {
    await queued.send({
      url: receiver.url,
      body: `{"n":${n}}`,
      webhookId: `evt_${n}`,
      orderingKey: 'customer-1',
    })
  }
  await queued.send({ url: receiver.url, body: '{}', webhookId: 'evt_bad' })

  await waitUntil(() => receiver.requests.length === 11, 'every attempt', 30_000)
  const order = receiver.requests
    .map((request) => request.webhookId)
    .filter((id) => id !== 'evt_bad')
  // Each ordered delivery failed once and was retried before the next one started.
  expect(order).toEqual([
    'evt_0',
    'evt_0',
    'evt_1',
    'evt_1',
    'evt_2',
    'evt_2',
    'evt_3',
    'evt_3',
    'evt_4',
    'evt_4',
  ])
  await expect
    .poll(() => queued.listDeadLetters(), { timeout: 10_000 })
    .toMatchObject([{ webhookId: 'evt_bad', reason: 'permanent-failure' }])
  expect(await queued.listDestinations()).toMatchObject([
    { destination: new URL(receiver.url).origin, state: 'active' },
  ])
  expect(await queued.replayDeadLetter('evt_bad')).toBe(true)
  await waitUntil(() => receiver.requests.length === 12, 'the replay', 10_000)
})
