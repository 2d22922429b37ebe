import { Queue } from 'bullmq'
import type { Signer } from '@hookseal/core/send'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createDeliveryWorker, createQueuedSender, DeliveryQueueError } from '../src/index.js'
import type { DeliveryWorker, QueuedSender } from '../src/index.js'
import { startTestRedis } from '@hookseal/test-support/redis-server'
import type { TestRedis } from '@hookseal/test-support/redis-server'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { settlesAfter, useFakeClock } from '@hookseal/test-support/fake-clock'
import { createQueueTestSigner, LOOPBACK, startQueueReceiver } from './queue-fixtures.js'
import type { QueueReceiver } from './queue-fixtures.js'

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
  queueName = `deliveries-${++round}`
})

afterEach(async () => {
  vi.useRealTimers()
  for (const close of closers.splice(0).reverse()) await close()
  await receiver.close()
})

function connection() {
  return { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }
}

function queuedSender(enqueueTimeout?: number): QueuedSender {
  const queued = createQueuedSender({
    connection: connection(),
    queueName,
    ...(enqueueTimeout === undefined ? {} : { enqueueTimeout }),
  })
  closers.push(() => queued.close())
  return queued
}

function worker(maxAttempts = 3): DeliveryWorker {
  const started = createDeliveryWorker({
    connection: connection(),
    queueName,
    signer,
    ...LOOPBACK,
    schedule: Array.from({ length: maxAttempts - 1 }, () => 10),
    concurrency: 4,
  })
  closers.push(() => started.close())
  return started
}

describe('options', () => {
  it('refuses bad options with a TypeError, once, at creation', () => {
    expect(() => createQueuedSender({ connection: undefined as never })).toThrow(TypeError)
    expect(() => createQueuedSender({ connection: connection(), queueName: 'a:b' })).toThrow(
      TypeError,
    )
    expect(() => createQueuedSender({ connection: connection(), enqueueTimeout: 0 })).toThrow(
      TypeError,
    )
    expect(() =>
      createDeliveryWorker({ connection: connection(), signer, concurrency: 1.5 }),
    ).toThrow(TypeError)
    // Core's sender options are checked by core's createSender, before the worker connects.
    expect(() =>
      createDeliveryWorker({ connection: connection(), signer, maxResponseBytes: -1 }),
    ).toThrow(TypeError)
    expect(() =>
      createDeliveryWorker({ connection: connection(), signer, schedule: [-1] }),
    ).toThrow(TypeError)
  })

  it('refuses a malformed delivery before touching Redis', async () => {
    const queued = queuedSender()
    await expect(queued.send({ url: '/relative', body: '{}' })).rejects.toThrow(TypeError)
    await expect(
      queued.send({ url: receiver.url, body: '{}', webhookId: 'has space' }),
    ).rejects.toThrow(TypeError)
  })
})

describe('queued delivery', () => {
  it('persists before resolving, keeps one job per webhookId, and a worker delivers each', async () => {
    const queued = queuedSender()
    const first = await queued.send({
      url: receiver.url,
      body: '{"type":"invoice.paid"}',
      webhookId: 'evt_1',
      headers: { 'x-tenant': 'acme' },
    })
    await queued.send({ url: receiver.url, body: '{"type":"invoice.paid"}', webhookId: 'evt_1' })
    await queued.send({
      url: receiver.url,
      method: 'PUT',
      body: new Uint8Array([0x7b, 0x7d]),
      webhookId: 'evt:2',
    })
    const generated = await queued.send({ url: receiver.url, body: '{"n":3}' })
    expect(first.webhookId).toBe('evt_1')
    expect(generated.webhookId).toMatch(/^[0-9a-f-]{36}$/)

    // Stored in Redis before any worker exists: one job per event.
    const inspect = new Queue(queueName, { connection: connection() })
    closers.push(() => inspect.close())
    expect(await inspect.getWaitingCount()).toBe(3)

    let answered = 0
    receiver.answer = () => (answered++ === 0 ? 503 : 204)
    worker()
    await waitUntil(() => receiver.requests.length >= 4, 'four requests', 10_000)

    expect([...receiver.ids()].sort()).toEqual(['evt:2', 'evt_1', generated.webhookId].sort())
    const retried = receiver.requests.filter(
      (request) => request.webhookId === receiver.requests[0]?.webhookId,
    )
    expect(retried).toHaveLength(2)
    // A fresh token per attempt, the same Webhook-Id.
    expect(retried[0]?.token).not.toBe(retried[1]?.token)
    expect(new Set(receiver.requests.map((request) => request.token)).size).toBe(4)
    const evt1 = receiver.requests.find((request) => request.webhookId === 'evt_1')
    expect(evt1?.headers['x-tenant']).toBe('acme')
    expect(evt1?.body).toBe('{"type":"invoice.paid"}')
    const evt2 = receiver.requests.find((request) => request.webhookId === 'evt:2')
    expect(evt2?.body).toBe('{}')
    await expect
      .poll(() => inspect.getJobCounts('wait', 'active', 'failed'))
      .toEqual({
        wait: 0,
        active: 0,
        failed: 0,
      })
    expect(await queued.listDeadLetters()).toEqual([])
  })

  it('dead-letters an exhausted delivery with every attempt, and replays it with the same id', async () => {
    const queued = queuedSender()
    receiver.answer = () => 503
    worker(2)
    await queued.send({
      url: receiver.url,
      body: '{"type":"order.shipped"}',
      webhookId: 'evt_dead',
    })
    await expect.poll(() => queued.listDeadLetters(), { timeout: 10_000 }).toHaveLength(1)

    const [letter] = await queued.listDeadLetters()
    expect(letter).toMatchObject({
      webhookId: 'evt_dead',
      reason: 'attempts-exhausted',
      delivery: { url: receiver.url, method: 'POST', body: '{"type":"order.shipped"}' },
      error: { code: 'ERR_RESPONSE_STATUS', status: 503, retryable: true },
    })
    expect(letter?.attempts.map((attempt) => attempt.status)).toEqual([503, 503])
    expect(receiver.requests).toHaveLength(2)
    expect(await queued.getDeadLetter('evt_dead')).toEqual(letter)

    receiver.answer = () => 204
    expect(await queued.replayDeadLetter('evt_dead')).toBe(true)
    expect(await queued.replayDeadLetter('evt_unknown')).toBe(false)
    await waitUntil(() => receiver.requests.length === 3, 'the replayed delivery', 10_000)
    expect(receiver.requests[2]?.webhookId).toBe('evt_dead')
    expect(receiver.requests[2]?.body).toBe('{"type":"order.shipped"}')
    expect(await queued.listDeadLetters()).toEqual([])
  })

  it('dead-letters a permanent failure (400) after one attempt', async () => {
    const queued = queuedSender()
    receiver.answer = () => 400
    worker(5)
    await queued.send({ url: receiver.url, body: '{}', webhookId: 'evt_400' })
    await expect
      .poll(() => queued.getDeadLetter('evt_400'), { timeout: 10_000 })
      .toMatchObject({
        reason: 'permanent-failure',
        attempts: [{ status: 400 }],
      })
  })
})

describe('Redis down', () => {
  it('send rejects with a DeliveryQueueError within enqueueTimeout instead of hanging', async () => {
    const queued = queuedSender(300)
    await queued.send({ url: receiver.url, body: '{}', webhookId: 'evt_before' })
    await redis.kill()
    useFakeClock(Date.now())
    const sending = queued.send({ url: receiver.url, body: '{}', webhookId: 'evt_down' })
    const error = await settlesAfter(sending, 300, 'the send')
    vi.useRealTimers()
    expect(error).toBeInstanceOf(DeliveryQueueError)
    expect(error).toMatchObject({ code: 'ERR_QUEUE_UNAVAILABLE', webhookId: 'evt_down' })
    await expect(queued.listDeadLetters()).rejects.toBeInstanceOf(DeliveryQueueError)
  })
})
