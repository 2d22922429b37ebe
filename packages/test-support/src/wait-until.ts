import { setTimeout as pause } from 'node:timers/promises'

/** How often the condition is checked. */
const POLL_MS = 5

/**
 * Polls until `check` holds, or fails after about `ms` naming `what` was awaited.
 *
 * It pauses on `node:timers/promises`, which vitest's fake timers leave alone, and counts polls
 * instead of reading a clock: under a fake clock it keeps polling without moving the fake time,
 * so a test can wait for real I/O and still decide itself when the fake time passes.
 *
 * @example
 * ```ts
 * await waitUntil(() => receiver.requests.length === 3, 'the third request')
 * ```
 */
export async function waitUntil(
  check: () => boolean,
  what = 'the condition',
  ms = 2000,
): Promise<void> {
  for (let polls = Math.ceil(ms / POLL_MS); !check(); polls--) {
    if (polls <= 0) throw new Error(`timed out waiting for ${what}`)
    await pause(POLL_MS)
  }
}
