import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createQueuedSender, DeliveryQueueError } from '../src/index.js'
import type { QueuedSender, QueuedSenderOptions } from '../src/index.js'
import { startTestRedis } from '@hookseal/test-support/redis-server'
import type { TestRedis } from '@hookseal/test-support/redis-server'

const DELIVERY = { url: 'https://hooks.customer.example/webhooks', body: '{"n":1}' }

let volatile: TestRedis
let persistent: TestRedis
const opened: QueuedSender[] = []

beforeAll(async () => {
  ;[volatile, persistent] = await Promise.all([
    startTestRedis(),
    startTestRedis({ appendOnly: true }),
  ])
})

afterEach(async () => {
  for (const queued of opened.splice(0)) await queued.close()
})

afterAll(() => Promise.all([volatile.stop(), persistent.stop()]))

function sender(redis: TestRedis, options: Partial<QueuedSenderOptions> = {}) {
  const reported: Error[] = []
  const queued = createQueuedSender({
    connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null },
    queueName: `durability-${opened.length}-${Date.now()}`,
    onError: (error) => reported.push(error),
    ...options,
  })
  opened.push(queued)
  return { queued, reported }
}

describe('the queued sender checks that Redis keeps an append-only file', () => {
  it('refuses to send to a Redis with appendonly no, with ERR_QUEUE_NOT_DURABLE', async () => {
    const { queued, reported } = sender(volatile)
    const error = await queued.send(DELIVERY).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DeliveryQueueError)
    expect(error).toMatchObject({ code: 'ERR_QUEUE_NOT_DURABLE' })
    await expect(queued.send(DELIVERY)).rejects.toMatchObject({ code: 'ERR_QUEUE_NOT_DURABLE' })
    expect(reported).toHaveLength(1)
    expect(reported[0]).toMatchObject({ code: 'ERR_QUEUE_NOT_DURABLE' })
  })

  it('with requireAppendOnly: false sends anyway and still reports it', async () => {
    const { queued, reported } = sender(volatile, { requireAppendOnly: false })
    await expect(queued.send(DELIVERY)).resolves.toMatchObject({ webhookId: expect.any(String) })
    expect(reported).toMatchObject([{ code: 'ERR_QUEUE_NOT_DURABLE' }])
  })

  it('sends to a Redis with an append-only file and reports nothing', async () => {
    const { queued, reported } = sender(persistent)
    await expect(queued.send(DELIVERY)).resolves.toBeDefined()
    expect(reported).toEqual([])
  })

  it('warns with ERR_QUEUE_DURABILITY_UNKNOWN, and sends, where CONFIG is not allowed', async () => {
    const admin = persistent.client()
    await admin.call('ACL', 'SETUSER', 'app', 'on', '>secret', '~*', '&*', '+@all', '-config')
    const { queued, reported } = sender(persistent, {
      connection: {
        host: '127.0.0.1',
        port: persistent.port,
        username: 'app',
        password: 'secret',
        maxRetriesPerRequest: null,
      },
    })
    await expect(queued.send(DELIVERY)).resolves.toBeDefined()
    expect(reported).toMatchObject([{ code: 'ERR_QUEUE_DURABILITY_UNKNOWN' }])
  })
})
