import { describe, expect, it } from 'vitest'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { useQueueHarness } from './queue-harness.js'

const queue = useQueueHarness('fairness')
const { queued, worker } = queue
const EACH = 20

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

async function hangingAndHealthy(destinationConcurrency: number) {
  const sender = queued()
  const hanging = queue.receiver
  // Never answers: every attempt to it lasts until the sender's timeout.
  hanging.answer = () => new Promise<number>(() => {})
  const healthy = await queue.startReceiver()
  worker({ concurrency: 4, destinationConcurrency, timeout: 30_000, holdInterval: 20 })
  const sentAt = new Map<string, number>()
  for (let n = 0; n < EACH; n++) {
    for (const [name, receiver] of [
      ['hang', hanging],
      ['ok', healthy],
    ] as const) {
      const webhookId = `evt_${name}_${n}`
      sentAt.set(webhookId, Date.now())
      await sender.send({ url: receiver.url, body: `{"n":${n}}`, webhookId })
    }
  }
  return { hanging, healthy, sentAt }
}

describe('per-destination fairness', () => {
  it('delivers to a healthy receiver while a hanging one holds only its own slots', async () => {
    const { hanging, healthy, sentAt } = await hangingAndHealthy(2)
    await waitUntil(() => healthy.ids().size === EACH, 'every healthy delivery', 15_000)
    // The hanging receiver is saturated: exactly its two slots in flight, none answered, the
    // rest of its deliveries waiting their turn.
    expect(hanging.requests).toHaveLength(2)
    expect(healthy.requests).toHaveLength(EACH)
    const latencies = healthy.requests.map(
      (request) => request.at - (sentAt.get(request.webhookId) ?? 0),
    )
    console.info(
      `fairness: healthy receiver ${EACH} deliveries, median latency ${median(latencies)} ms, ` +
        `max ${Math.max(...latencies)} ms; hanging receiver: 2 requests in flight, ` +
        `${EACH - 2} waiting, none answered`,
    )
  })

  it('without a destination limit the hanging receiver takes every worker slot', async () => {
    const { hanging, healthy } = await hangingAndHealthy(1000)
    await waitUntil(() => hanging.requests.length === 4, 'four hanging requests', 15_000)
    await new Promise((resolve) => setTimeout(resolve, 300))
    // The healthy receiver's deliveries wait behind the hanging ones: this is what the limit fixes.
    expect(healthy.requests.length).toBeLessThan(EACH)
    expect(hanging.requests).toHaveLength(4)
  })

  it('starts at most rateLimit.max attempts per window to one destination', async () => {
    const sender = queued()
    const { receiver } = queue
    const other = await queue.startReceiver()
    worker({
      holdInterval: 20,
      destinations: { [new URL(receiver.url).origin]: { rateLimit: { max: 3, duration: 60_000 } } },
    })
    for (let n = 0; n < 5; n++) {
      await sender.send({ url: receiver.url, body: '{}', webhookId: `evt_rate_${n}` })
      await sender.send({ url: other.url, body: '{}', webhookId: `evt_free_${n}` })
    }
    // The other destination has no limit: its five arrive while the limited one stops at three.
    await waitUntil(() => other.requests.length === 5, 'the unlimited destination', 15_000)
    await waitUntil(() => receiver.requests.length === 3, 'three limited deliveries', 15_000)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(receiver.requests).toHaveLength(3)
  })
})
