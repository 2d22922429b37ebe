import { describe, expect, it } from 'vitest'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { useQueueHarness } from './queue-harness.js'

const queue = useQueueHarness('operators')
const { queued, inspector, worker } = queue

describe("the operators' view", () => {
  it('lists, inspects and replays jobs in BullMQ failed set', async () => {
    const sender = queued()
    const { receiver } = queue
    const refusing = worker({ allowedHosts: ['hooks.elsewhere.example'] })
    await sender.send({ url: receiver.url, body: '{"n":1}', webhookId: 'evt_refused' })
    await inspector().add('deliver', { not: 'a delivery' } as never, { jobId: 'junk' })
    await expect.poll(() => sender.listFailed(), { timeout: 10_000 }).toHaveLength(2)
    const failed = await sender.listFailed()
    expect(failed.find((record) => record.webhookId === 'evt_refused')).toMatchObject({
      state: 'failed',
      url: receiver.url,
      failedReason: expect.stringContaining('allowedHosts'),
      failedAt: expect.any(Number),
    })
    expect(await sender.getDelivery('evt_refused')).toMatchObject({ state: 'failed' })
    expect(receiver.requests).toHaveLength(0)

    await refusing.close()
    worker()
    expect(await sender.replayFailed('evt_refused')).toBe(true)
    expect(await sender.replayFailed('evt_unknown')).toBe(false)
    await waitUntil(() => receiver.requests.length === 1, 'the replayed job', 10_000)
    expect(receiver.requests[0]?.body).toBe('{"n":1}')
    await expect.poll(() => sender.listFailed()).toHaveLength(1)
  })

  it('shows a delayed delivery with its attempts and next attempt', async () => {
    const sender = queued()
    const { receiver } = queue
    receiver.answer = () => 503
    worker({ schedule: [3_600_000] })
    await sender.send({ url: receiver.url, body: '{}', webhookId: 'evt_wait', eventType: 'ping' })
    await expect
      .poll(async () => (await sender.getDelivery('evt_wait'))?.state, { timeout: 10_000 })
      .toBe('delayed')
    const record = await sender.getDelivery('evt_wait')
    expect(record).toMatchObject({ eventType: 'ping', attempts: [{ status: 503 }] })
    expect(record?.nextAttemptAt).toBeGreaterThan(Date.now() + 3_000_000)
    expect(await sender.getDelivery('evt_never_sent')).toBeUndefined()
  })

  it('replays dead letters in bulk by destination and by time range', async () => {
    const sender = queued()
    const first = queue.receiver
    const second = await queue.startReceiver()
    first.answer = () => 400
    second.answer = () => 400
    worker({ concurrency: 1 })
    for (let n = 0; n < 3; n++) {
      await sender.send({ url: first.url, body: '{}', webhookId: `evt_first_${n}` })
      await sender.send({ url: second.url, body: '{}', webhookId: `evt_second_${n}` })
    }
    await expect.poll(() => sender.listDeadLetters(), { timeout: 10_000 }).toHaveLength(6)
    expect(await sender.getDelivery('evt_first_0')).toMatchObject({
      state: 'dead-letter',
      deadLetterReason: 'permanent-failure',
    })
    first.answer = () => 204
    second.answer = () => 204

    expect(await sender.replayDeadLetters({ destination: first.url })).toBe(3)
    await waitUntil(() => first.requests.length === 6, 'the first destination again', 10_000)
    const rest = await sender.listDeadLetters()
    expect(rest.map((letter) => letter.webhookId).sort()).toEqual([
      'evt_second_0',
      'evt_second_1',
      'evt_second_2',
    ])
    const from = rest.map((letter) => letter.deadLetteredAt).sort((a, b) => a - b)[1] ?? 0
    const later = rest.filter((letter) => letter.deadLetteredAt >= from).length
    expect(await sender.replayDeadLetters({ from })).toBe(later)
    expect(await sender.listDeadLetters()).toHaveLength(3 - later)
    await expect(sender.replayDeadLetters({ destination: 'nonsense' })).rejects.toThrow(TypeError)
  })
})
