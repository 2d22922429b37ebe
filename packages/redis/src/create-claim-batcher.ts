import { CLAIM } from './replay-scripts.js'
import type { ReplayScript } from './replay-scripts.js'

/** Runs a script by `EVALSHA`, falling back to `EVAL`. */
export type RunScript = (
  code: ReplayScript,
  keys: string[],
  args: Array<string | number>,
) => Promise<unknown>

/**
 * Sends one claim and resolves to its own answer from the `CLAIM` script: 1, 0 or the sentinel's
 * value. Rejects with the failure of the command that carried it.
 */
export type SendClaim = (
  key: string,
  value: string,
  ttl: number,
  sentinel: string,
  own: readonly string[],
) => Promise<unknown>

/**
 * Claims per script, at most. A full batch is sent at once, while the calls after it are still
 * being verified: with 16 verifications in flight, batches take turns, and some wait on Redis while
 * the event loop verifies the others', instead of every call waiting on one round trip. It also
 * keeps each script short, so that it never holds Redis for long.
 */
const MAX_BATCH = 4

interface Waiter {
  resolve(answer: unknown): void
  reject(error: unknown): void
}

/**
 * Sends claims to Redis in batches, each one `CLAIM` script: one round trip and one reply for all
 * its claims. A claim made while no batch is in flight is sent at once, so a lone call waits for
 * nothing but Redis. Claims made while one is in flight are gathered, and sent when the batch is
 * full, when an answer comes, or at the end of the event-loop turn, whichever is first: every claim
 * leaves within the turn it was made in (a Redis that is down refuses it as fast as before), and
 * fake timers in an application's tests cannot hold claims back for longer than a round trip. The
 * script decides a batch's claims in the order they were made, so each call gets the answer it
 * would have had alone, and a batch that fails or stays unanswered fails every call in it, each
 * one handled on its own.
 */
export function createClaimBatcher(run: RunScript, sentinelKey: string): SendClaim {
  let keys: string[] = [sentinelKey]
  /** The sentinel value the batch's claims know, then their arguments. */
  let args: Array<string | number> = []
  let waiters: Waiter[] = []
  let inFlight = 0
  let scheduled = false

  function flush(): void {
    if (waiters.length === 0) return
    const batch = waiters
    const sent = run(CLAIM, keys, args)
    keys = [sentinelKey]
    args = []
    waiters = []
    inFlight++
    sent.then(
      (answers) => {
        settled()
        if (!Array.isArray(answers) || answers.length !== batch.length) {
          const error = new Error(`Redis answered ${batch.length} claims with ${String(answers)}`)
          for (const waiter of batch) waiter.reject(error)
          return
        }
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(answers[i])
      },
      (error: unknown) => {
        settled()
        for (const waiter of batch) waiter.reject(error)
      },
    )
  }

  /** An answer came: the claims gathered meanwhile go now, ahead of those its callers make next. */
  function settled(): void {
    inFlight--
    flush()
  }

  function flushScheduled(): void {
    scheduled = false
    flush()
  }

  return (key, value, ttl, sentinel, own) =>
    new Promise((resolve, reject) => {
      // The claims of a batch share the sentinel they know; one that knows another starts a batch.
      if (waiters.length > 0 && args[0] !== sentinel) flush()
      if (waiters.length === 0) args.push(sentinel)
      keys.push(key)
      args.push(value, ttl, own.length)
      for (const earlier of own) args.push(earlier)
      waiters.push({ resolve, reject })
      if (inFlight === 0 || waiters.length >= MAX_BATCH) flush()
      else if (!scheduled) {
        // After the I/O callbacks of this turn, so that requests read together are claimed together.
        scheduled = true
        setImmediate(flushScheduled)
      }
    })
}
