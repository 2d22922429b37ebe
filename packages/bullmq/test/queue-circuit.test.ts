import { describe, expect, it } from 'vitest'
import type { DestinationEvent } from '../src/index.js'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { useQueueHarness } from './queue-harness.js'

const queue = useQueueHarness('circuit')
const { queued, worker } = queue
const MINUTE = 60_000

/** A clock the test moves by hand, and the worker options that make holds short. */
function circuitWorker(options: { failureThreshold?: number; disableAfter?: number } = {}) {
  let now = Date.parse('2026-03-02T09:00:00Z')
  const events: DestinationEvent[] = []
  worker({
    clock: () => now,
    schedule: Array.from({ length: 50 }, () => 5),
    destinationConcurrency: 1,
    holdInterval: 10,
    maxHold: 20,
    circuit: { failureThreshold: 2, coolOff: MINUTE, disableAfter: 60 * MINUTE, ...options },
    onDestinationEvent: (event) => events.push(event),
  })
  return {
    events,
    advance(ms: number) {
      now += ms
    },
  }
}

/** Lets the held deliveries come back for several rounds of holds (maxHold 20 ms). */
const severalHolds = () => new Promise((resolve) => setTimeout(resolve, 300))

describe('the circuit breaker', () => {
  it('pauses after consecutive failures, lets one probe through after the cool-off, and resumes', async () => {
    const sender = queued()
    const { receiver } = queue
    const origin = new URL(receiver.url).origin
    receiver.answer = () => 503
    const { events, advance } = circuitWorker()
    for (const id of ['evt_a', 'evt_b', 'evt_c']) {
      await sender.send({ url: receiver.url, body: '{}', webhookId: id })
    }
    await waitUntil(() => events.length === 1, 'the pause', 10_000)
    expect(events[0]).toMatchObject({ type: 'destination-paused', destination: origin })
    expect(await sender.getDestination(receiver.url)).toMatchObject({
      state: 'paused',
      failures: 2,
    })
    await severalHolds()
    // Paused: nothing more is sent while the cool-off lasts.
    expect(receiver.requests).toHaveLength(2)

    advance(MINUTE)
    await waitUntil(() => events.length === 2, 'the failed probe', 10_000)
    await severalHolds()
    // One probe, not three; it failed, so the destination is paused for another cool-off.
    expect(receiver.requests).toHaveLength(3)
    expect(events[1]).toMatchObject({ type: 'destination-paused' })

    receiver.answer = () => 204
    advance(MINUTE)
    await waitUntil(
      () => receiver.ids().size === 3 && events.length === 3,
      'every delivery',
      10_000,
    )
    expect(events[2]).toMatchObject({ type: 'destination-resumed', destination: origin })
    await waitUntil(() => receiver.requests.length === 6, 'the last deliveries', 10_000)
    // Nothing was dropped while paused: every event arrived, none was dead-lettered.
    expect(receiver.requests.filter((request) => request.webhookId === 'evt_c')).not.toHaveLength(0)
    expect(await sender.listDeadLetters()).toEqual([])
    expect(await sender.getDestination(origin)).toMatchObject({ state: 'active', failures: 0 })
  })

  it('disables a destination that answers 410 Gone at once; its deliveries wait until enabled', async () => {
    const sender = queued()
    const { receiver } = queue
    receiver.answer = () => 410
    const { events } = circuitWorker({ failureThreshold: 100 })
    await sender.send({ url: receiver.url, body: '{}', webhookId: 'evt_gone_1' })
    await sender.send({ url: receiver.url, body: '{}', webhookId: 'evt_gone_2' })
    await waitUntil(() => events.length === 1, 'the disabling', 10_000)
    expect(events[0]).toMatchObject({ type: 'destination-disabled', reason: 'gone' })
    await severalHolds()
    expect(receiver.requests).toHaveLength(1)
    expect(await sender.listDestinations()).toMatchObject([
      { destination: new URL(receiver.url).origin, state: 'disabled', disabledReason: 'gone' },
    ])
    expect(await sender.listDeadLetters()).toEqual([])

    receiver.answer = () => 204
    expect(await sender.enableDestination(receiver.url)).toBe('disabled')
    await waitUntil(() => receiver.requests.length === 3, 'both deliveries', 10_000)
    expect(
      receiver.requests
        .slice(1)
        .map((request) => request.webhookId)
        .sort(),
    ).toEqual(['evt_gone_1', 'evt_gone_2'])
  })

  it('disables a destination that keeps failing for disableAfter, with an event', async () => {
    const sender = queued()
    const { receiver } = queue
    receiver.answer = () => 503
    const { events, advance } = circuitWorker({ failureThreshold: 100, disableAfter: 10 * MINUTE })
    await sender.send({ url: receiver.url, body: '{}', webhookId: 'evt_failing' })
    await waitUntil(() => receiver.requests.length === 2, 'two failures', 10_000)
    advance(10 * MINUTE)
    await waitUntil(() => events.length === 1, 'the disabling', 10_000)
    expect(events[0]).toMatchObject({ type: 'destination-disabled', reason: 'failing' })
    const count = receiver.requests.length
    await severalHolds()
    expect(receiver.requests).toHaveLength(count)
    expect(await sender.getDestination(receiver.url)).toMatchObject({
      state: 'disabled',
      disabledReason: 'failing',
    })
  })

  it('holds every delivery of a destination disabled by hand, and sends them once enabled', async () => {
    const sender = queued()
    const { receiver } = queue
    const origin = new URL(receiver.url).origin
    expect(await sender.disableDestination(origin)).toBe('active')
    circuitWorker()
    await sender.send({ url: receiver.url, body: '{}', webhookId: 'evt_held' })
    await severalHolds()
    expect(receiver.requests).toHaveLength(0)
    expect(await sender.getDestination(origin)).toMatchObject({ disabledReason: 'manual' })
    await sender.enableDestination(origin)
    await waitUntil(() => receiver.requests.length === 1, 'the held delivery', 10_000)
    expect(receiver.requests[0]?.webhookId).toBe('evt_held')
    await expect(sender.getDestination('not a url')).rejects.toThrow(TypeError)
  })
})
