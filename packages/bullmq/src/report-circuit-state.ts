import { observeGauge } from '@hookseal/core/http'

/** A destination's circuit: closed (delivering), open (paused), or half-open (probing). */
export type CircuitState = 'closed' | 'open' | 'half-open'

/** The circuits not closed, by destination, in this process. */
const circuits = new Map<string, Exclude<CircuitState, 'closed'>>()
let observing = false

/**
 * Tells the `hookseal.queue.circuits.open` gauge that a destination's circuit changed state. The
 * gauge reports, per state (`open`, `half-open`), how many destinations this process last saw in
 * it; the destinations themselves stay out of the metric, whose attributes must stay few.
 *
 * @param destination The destination's key (its origin, for instance).
 *
 * @example
 * ```ts
 * breaker.on('open', (origin) => reportCircuitState(origin, 'open'))
 * breaker.on('close', (origin) => reportCircuitState(origin, 'closed'))
 * ```
 */
export function reportCircuitState(destination: string, state: CircuitState): void {
  if (typeof destination !== 'string' || destination === '') {
    throw new TypeError('reportCircuitState: destination must be a non-empty string')
  }
  if (state !== 'closed' && state !== 'open' && state !== 'half-open') {
    throw new TypeError("reportCircuitState: state must be 'closed', 'open' or 'half-open'")
  }
  if (state === 'closed') circuits.delete(destination)
  else circuits.set(destination, state)
  if (observing) return
  observing = true
  observeGauge(
    'hookseal.queue.circuits.open',
    'Destinations whose circuit is open (paused) or half-open (probing)',
    () => {
      const counts = { open: 0, 'half-open': 0 }
      for (const current of circuits.values()) counts[current]++
      return Object.entries(counts).map(([current, value]) => ({
        value,
        attributes: { 'hookseal.circuit.state': current },
      }))
    },
  )
}
