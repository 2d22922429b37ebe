import { expect, it } from 'vitest'
import { waitUntil } from '@hookseal/test-support/wait-until'
import type { QueueReceived } from './queue-fixtures.js'
import { useQueueHarness } from './queue-harness.js'

const queue = useQueueHarness('ordering')
const { queued, worker } = queue

it('delivers one ordering key one at a time, in order; a failing head blocks only its key', async () => {
  const sender = queued()
  const { receiver } = queue
  let headFails = true
  const inFlight = new Map<string, number>()
  let overlapped = false
  receiver.answer = async (request: QueueReceived) => {
    const key = request.webhookId.split('_')[1] ?? ''
    const now = (inFlight.get(key) ?? 0) + 1
    inFlight.set(key, now)
    if (now > 1) overlapped = true
    await new Promise((resolve) => setTimeout(resolve, 20))
    inFlight.set(key, (inFlight.get(key) ?? 1) - 1)
    if (request.webhookId === 'evt_a_0' && headFails) return 503
    if (request.webhookId === 'evt_c_0') return 400
    return 204
  }
  worker({ concurrency: 6, schedule: Array.from({ length: 100 }, () => 20), holdInterval: 10 })
  for (let n = 0; n < 4; n++) {
    for (const key of ['a', 'b', 'c']) {
      await sender.send({
        url: receiver.url,
        body: `{"key":"${key}","n":${n}}`,
        webhookId: `evt_${key}_${n}`,
        orderingKey: `customer-${key}`,
      })
    }
  }
  const delivered = (key: string) =>
    receiver.requests.filter((request) => request.webhookId.startsWith(`evt_${key}_`))

  // Key b flows and key c goes on after its dead-lettered head, while key a's head keeps failing.
  await waitUntil(
    () => new Set(delivered('b').map((r) => r.webhookId)).size === 4 && delivered('c').length === 4,
    'keys b and c',
    15_000,
  )
  expect(new Set(delivered('a').map((request) => request.webhookId))).toEqual(new Set(['evt_a_0']))
  expect(delivered('a').length).toBeGreaterThan(1)
  expect((await sender.getDeadLetter('evt_c_0'))?.reason).toBe('permanent-failure')

  headFails = false
  await waitUntil(() => new Set(delivered('a').map((r) => r.webhookId)).size === 4, 'key a', 15_000)
  await waitUntil(() => receiver.requests.at(-1)?.webhookId === 'evt_a_3', 'the last of a', 15_000)
  for (const key of ['a', 'b', 'c']) {
    const order = delivered(key)
      .map((request) => request.webhookId)
      .filter((id, index, all) => all.indexOf(id) === index)
    expect(order).toEqual([0, 1, 2, 3].map((n) => `evt_${key}_${n}`))
  }
  // Key a's later deliveries came only after its head succeeded.
  const firstA1 = receiver.requests.findIndex((request) => request.webhookId === 'evt_a_1')
  expect(receiver.requests.slice(firstA1).some((r) => r.webhookId === 'evt_a_0')).toBe(false)
  expect(overlapped).toBe(false)
})
