import { context, trace } from '@opentelemetry/api'
import { Queue } from 'bullmq'
import type { Signer } from '@hookseal/core/send'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDeliveryWorker, createQueuedSender, reportCircuitState } from '../src/index.js'
import type { QueuedDeliveryData } from '../src/index.js'
import { startTestRedis } from '@hookseal/test-support/redis-server'
import type { TestRedis } from '@hookseal/test-support/redis-server'
import { startTestTelemetry } from '@hookseal/test-support/telemetry'
import type { TestTelemetry } from '@hookseal/test-support/telemetry'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { createQueueTestSigner, LOOPBACK, startQueueReceiver } from './queue-fixtures.js'
import type { QueueReceiver } from './queue-fixtures.js'

const BODY = '{"type":"invoice.paid","card":"body-marker-4242"}'

let redis: TestRedis
let telemetry: TestTelemetry
let signer: Signer
let receiver: QueueReceiver
let queueName: string
let round = 0
const closers: Array<() => Promise<unknown>> = []

beforeAll(async () => {
  telemetry = startTestTelemetry()
  redis = await startTestRedis({ appendOnly: true })
  signer = await createQueueTestSigner()
})

afterAll(async () => {
  await redis.stop()
  await telemetry.shutdown()
})

beforeEach(async () => {
  telemetry.reset()
  receiver = await startQueueReceiver()
  queueName = `telemetry-${++round}`
})

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
  await receiver.close()
})

function connection() {
  return { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }
}

function queuedSender() {
  const queued = createQueuedSender({ connection: connection(), queueName })
  closers.push(() => queued.close())
  return queued
}

function startWorker() {
  const worker = createDeliveryWorker({ connection: connection(), queueName, signer, ...LOOPBACK })
  closers.push(() => worker.close())
  return worker
}

function inspector(): Queue<QueuedDeliveryData> {
  const queue = new Queue<QueuedDeliveryData>(queueName, { connection: connection() })
  closers.push(() => queue.close())
  return queue
}

describe('OpenTelemetry through the queue', () => {
  it('continues the enqueuing trace in the worker, down to each delivery attempt', async () => {
    const queued = queuedSender()
    const request = trace.getTracer('test').startSpan('incoming request')
    await context.with(trace.setSpan(context.active(), request), () =>
      queued.send({ url: receiver.url, body: BODY, webhookId: 'evt_1' }),
    )
    request.end()
    const job = await inspector().getJob('evt_1')
    expect(job?.data.trace?.traceparent).toContain(request.spanContext().traceId)

    startWorker()
    await waitUntil(
      () => telemetry.spans().some((span) => span.name === 'hookseal.queue.process'),
      'the worker to process the job',
      10_000,
    )
    const named = (name: string) => telemetry.spans().find((span) => span.name === name)
    const enqueue = named('hookseal.queue.enqueue')
    const processed = named('hookseal.queue.process')
    const delivery = named('hookseal.delivery')
    const attempt = named('hookseal.delivery.attempt')

    expect(enqueue?.parentSpanContext?.spanId).toBe(request.spanContext().spanId)
    expect(processed?.parentSpanContext?.spanId).toBe(enqueue?.spanContext().spanId)
    expect(delivery?.parentSpanContext?.spanId).toBe(processed?.spanContext().spanId)
    expect(attempt?.parentSpanContext?.spanId).toBe(delivery?.spanContext().spanId)
    for (const span of [enqueue, processed, delivery, attempt]) {
      expect(span?.spanContext().traceId).toBe(request.spanContext().traceId)
    }
    expect(processed?.attributes).toEqual({
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'process',
      'messaging.destination.name': queueName,
      'messaging.message.id': 'evt_1',
      'hookseal.webhook.id': 'evt_1',
    })
    expect(attempt?.attributes).toMatchObject({
      'hookseal.outcome': 'delivered',
      'http.response.status_code': 204,
    })

    const everything = await telemetry.everything()
    expect(everything).not.toContain('body-marker-4242')
    expect(everything).not.toContain(receiver.requests[0]?.token)
  })

  it('reports the queue depth by state', async () => {
    const queued = queuedSender()
    for (const webhookId of ['evt_1', 'evt_2', 'evt_3']) {
      await queued.send({ url: receiver.url, body: BODY, webhookId })
    }
    await expect
      .poll(() => telemetry.metric('hookseal.queue.depth'))
      .toContainEqual({
        attributes: { 'messaging.destination.name': queueName, 'hookseal.queue.state': 'waiting' },
        value: 3,
      })
  })

  it('reports open and half-open circuits as the queue says they change', async () => {
    const count = async (state: string) =>
      (await telemetry.metric('hookseal.queue.circuits.open')).find(
        (point) => point.attributes['hookseal.circuit.state'] === state,
      )?.value
    reportCircuitState('https://a.example', 'open')
    reportCircuitState('https://b.example', 'open')
    await expect.poll(() => count('open')).toBe(2)
    reportCircuitState('https://a.example', 'half-open')
    reportCircuitState('https://b.example', 'closed')
    expect(await count('open')).toBe(0)
    expect(await count('half-open')).toBe(1)
    expect(() => reportCircuitState('https://a.example', 'ajar' as never)).toThrow(TypeError)
  })
})
