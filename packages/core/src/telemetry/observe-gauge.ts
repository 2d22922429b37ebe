import type { ObservableResult } from '@opentelemetry/api'
import { instruments, loadOpenTelemetry } from './open-telemetry.js'

/** One value of a gauge, with the attributes that tell it from the others. */
export interface GaugeReading {
  readonly value: number
  readonly attributes?: Readonly<Record<string, string | number | boolean>>
}

/**
 * Registers an observable gauge on hookseal's meter, read on every metrics collection, when
 * `@opentelemetry/api` is installed; returns the function that stops it. A reading that throws is
 * skipped for that collection. The gauge belongs to the meter provider registered when the API has
 * loaded: start the OpenTelemetry SDK before creating what observes it.
 *
 * @example
 * ```ts
 * const stop = observeGauge('hookseal.queue.depth', 'Deliveries in the queue', async () => [
 *   { value: await queue.count(), attributes: { 'messaging.destination.name': name } },
 * ])
 * ```
 */
export function observeGauge(
  name: string,
  description: string,
  read: () => readonly GaugeReading[] | Promise<readonly GaugeReading[]>,
): () => void {
  let stopped = false
  let stop = (): void => {
    stopped = true
  }
  async function observe(result: ObservableResult): Promise<void> {
    let readings: readonly GaugeReading[]
    try {
      readings = await read()
    } catch {
      // A collection that cannot read the value reports nothing rather than a wrong value.
      return
    }
    for (const { value, attributes } of readings) result.observe(value, attributes)
  }
  void loadOpenTelemetry().then(() => {
    const now = instruments()
    if (stopped || !now) return
    const gauge = now.meter.createObservableGauge(name, { description })
    gauge.addCallback(observe)
    stop = () => gauge.removeCallback(observe)
  })
  return () => stop()
}
