import { vi } from 'vitest'
import { waitUntil } from './wait-until.js'

/** How long real I/O may take before a promise counts as hanging; no fake time passes meanwhile. */
const GUARD_MS = 10_000

/**
 * Fakes the timers and clocks code under test waits on or reads (`setTimeout`, `clearTimeout`,
 * `Date`, `performance`), nothing else: sockets, child processes and Redis clients keep running on
 * Node's own timers, so real loopback I/O still happens while the fake time stands still. Undo
 * with `vi.useRealTimers()`.
 */
export function useFakeClock(now = Date.parse('2026-03-02T09:00:00Z')): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'], now })
}

/** What `promise` settled to (a rejection's reason included), and whether it has yet. */
function track(promise: Promise<unknown>): { outcome: Promise<unknown>; settled: () => boolean } {
  let done = false
  const outcome = promise.then(
    (value) => value,
    (reason: unknown) => reason,
  )
  void outcome.then(() => {
    done = true
  })
  return { outcome, settled: () => done }
}

/**
 * Proves that `promise` settles when exactly `ms` of fake time have passed: still pending one
 * millisecond before, settled once that millisecond passes. Call it once the wait has begun (the
 * request is in flight), so that the fake time counts from there. Resolves with what `promise`
 * settled to (a rejection's reason included), for the caller to check.
 *
 * @example
 * ```ts
 * useFakeClock()
 * const refusal = await settlesAfter(store.remember('a', expiresAt), 200, 'the command timeout')
 * expect(refusal).toBeInstanceOf(ReplayStoreError)
 * ```
 */
export async function settlesAfter(
  promise: Promise<unknown>,
  ms: number,
  what: string,
): Promise<unknown> {
  const { outcome, settled } = track(promise)
  await vi.advanceTimersByTimeAsync(ms - 1)
  if (settled()) throw new Error(`${what} was over before ${ms} ms`)
  await vi.advanceTimersByTimeAsync(1)
  await waitUntil(settled, `${what} to be over at ${ms} ms`, GUARD_MS)
  return outcome
}

/**
 * Proves that `promise` settles while the fake time stands still: nothing it did waited on a timer.
 * Resolves with what `promise` settled to (a rejection's reason included).
 */
export async function settlesAtOnce(promise: Promise<unknown>, what: string): Promise<unknown> {
  const { outcome, settled } = track(promise)
  await waitUntil(settled, `${what} without waiting`, GUARD_MS)
  return outcome
}

/**
 * Fakes `Date` only, for code that reads the time but waits on nothing: sockets and every timer,
 * request timeouts included, keep running on real time. Undo with `vi.useRealTimers()`.
 */
export function useFakeDate(): void {
  vi.useFakeTimers({ toFake: ['Date'] })
}

/** Moves the faked `Date` forward by `ms`. */
export function advanceDate(ms: number): void {
  vi.setSystemTime(Date.now() + ms)
}
