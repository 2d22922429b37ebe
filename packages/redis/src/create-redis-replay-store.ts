import { createHash } from 'node:crypto'
import { HooksealError } from '@hookseal/core'
import type { ReplayStore } from '@hookseal/core'

/**
 * The commands the store sends. An ioredis `Redis` or `Cluster` client fits; so does any client
 * with the same promise-returning `set` and `del`.
 */
export interface ReplayRedisClient {
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<'OK' | null>
  del(key: string): Promise<number>
}

/** Reported when Redis could not answer in time or failed; `accepted` tells what was decided. */
export interface ReplayStoreUnavailableEvent {
  type: 'replay-store-unavailable'
  /** `'timeout'` when no answer came within `timeout`, `'error'` when the command failed. */
  reason: 'timeout' | 'error'
  /** True with `failOpen` (the webhook was accepted unchecked), false when it was refused. */
  accepted: boolean
  error: unknown
}

export type RedisReplayStoreEvent = ReplayStoreUnavailableEvent

export interface RedisReplayStoreOptions {
  /**
   * The connection, owned (and closed) by the caller. Give the store a client that fails fast when
   * Redis is down: `new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })`.
   */
  client: ReplayRedisClient
  /** Prepended to every key, so that several applications can share one Redis. */
  prefix?: string
  /** Longest wait for Redis, in milliseconds, before the store gives up on a call. @default 1000 */
  timeout?: number
  /**
   * When Redis is unreachable, slow or failing: `false` refuses the webhook (the verifier answers
   * 503 `ERR_REPLAY_STORE_UNAVAILABLE` and the sender retries later); `true` accepts it without
   * replay protection and reports a `replay-store-unavailable` event.
   * @default false
   */
  failOpen?: boolean
  /** Receives `replay-store-unavailable` events (in both modes), e.g. for metrics. Must not throw. */
  onEvent?: (event: RedisReplayStoreEvent) => void
}

/** Why the store could not answer; the verifier wraps it as the `cause` of its 503. */
export class ReplayStoreUnavailableError extends HooksealError {
  declare readonly code: 'ERR_REPLAY_STORE_UNAVAILABLE'
  readonly reason: 'timeout' | 'error'

  constructor(reason: 'timeout' | 'error', message: string, options?: { cause?: unknown }) {
    super('ERR_REPLAY_STORE_UNAVAILABLE', message, options)
    this.reason = reason
  }
}

const DEFAULT_PREFIX = 'hookseal:replay:'
const TIMED_OUT: unique symbol = Symbol('timed out')

/**
 * A replay store shared by every receiver instance through Redis. Each id is recorded with one
 * atomic `SET key 1 PX ttl NX`, so that of several instances receiving the same webhook at the same
 * moment exactly one accepts it. Keys are `prefix` + the SHA-256 of the id (64 hex digits whatever
 * the id's size or characters), and each one expires with its token, which bounds Redis's memory by
 * the number of webhooks accepted within a token's lifetime.
 *
 * When Redis does not answer within `timeout` or fails, the store throws (fail closed: the verifier
 * answers 503 and the sender retries), or with `failOpen` accepts and reports the outage. A `SET`
 * that still succeeds after the store gave up and refused the webhook is undone, so that the
 * sender's retry is not mistaken for a replay.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createVerifier } from '@hookseal/core'
 * import { createRedisReplayStore } from '@hookseal/redis'
 *
 * const client = new Redis(process.env.REDIS_URL!, {
 *   enableOfflineQueue: false,
 *   maxRetriesPerRequest: 1,
 * })
 * const verifier = createVerifier({
 *   issuers,
 *   replayStore: createRedisReplayStore({ client, timeout: 500 }),
 * })
 * ```
 */
export function createRedisReplayStore(options: RedisReplayStoreOptions): ReplayStore {
  const { client, prefix = DEFAULT_PREFIX, timeout = 1000, failOpen = false, onEvent } = options
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof client.set !== 'function' ||
    typeof client.del !== 'function'
  ) {
    throw new TypeError('client must be a Redis client (ioredis Redis or Cluster)')
  }
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TypeError('prefix must be a non-empty string')
  }
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw new TypeError('timeout must be a positive number of milliseconds')
  }
  if (typeof failOpen !== 'boolean') throw new TypeError('failOpen must be a boolean')
  if (onEvent !== undefined && typeof onEvent !== 'function') {
    throw new TypeError('onEvent must be a function')
  }

  function report(event: ReplayStoreUnavailableEvent): void {
    try {
      onEvent?.(event)
    } catch {
      // A failing listener must not turn into a refusal.
    }
  }

  function unavailable(reason: 'timeout' | 'error', error: unknown): true {
    report({ type: 'replay-store-unavailable', reason, accepted: failOpen, error })
    if (failOpen) return true
    throw error
  }

  return {
    async remember(id, expiresAtMs) {
      if (typeof id !== 'string' || typeof expiresAtMs !== 'number' || Number.isNaN(expiresAtMs)) {
        throw new TypeError('remember: id must be a string and expiresAtMs a number')
      }
      const key = prefix + createHash('sha256').update(id).digest('hex')
      const ttl = Math.max(1, Math.ceil(expiresAtMs - Date.now()))

      let timer: NodeJS.Timeout | undefined
      const command = client.set(key, '1', 'PX', ttl, 'NX')
      const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(resolve, timeout, TIMED_OUT)
      })
      let answer: 'OK' | null | typeof TIMED_OUT
      try {
        answer = await Promise.race([command, deadline])
      } catch (cause) {
        return unavailable(
          'error',
          new ReplayStoreUnavailableError('error', 'Redis failed', { cause }),
        )
      } finally {
        clearTimeout(timer)
      }
      if (answer !== TIMED_OUT) return answer === 'OK'

      // Refused as unavailable, the webhook will come again: a late 'OK' must not make that retry
      // look like a replay. Accepted (fail open), the record is worth keeping.
      command.then(
        (late) => {
          if (late === 'OK' && !failOpen) client.del(key).catch(() => {})
        },
        () => {},
      )
      return unavailable(
        'timeout',
        new ReplayStoreUnavailableError('timeout', `Redis did not answer within ${timeout} ms`),
      )
    },
  }
}
