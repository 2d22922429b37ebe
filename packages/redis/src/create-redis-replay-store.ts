import { hash, randomBytes } from 'node:crypto'
import { HooksealError } from '@hookseal/core'
import { callListener, failWith, numberOption } from '@hookseal/core/http'
import type { Fail } from '@hookseal/core/http'
import type { ReplayStore } from '@hookseal/core'
import { createClaimBatcher } from './create-claim-batcher.js'
import { RELEASE, SYNC } from './replay-scripts.js'
import type { ReplayScript } from './replay-scripts.js'

/**
 * The commands the store sends: `EVALSHA`, and `EVAL` when Redis has not cached a script. An
 * ioredis `Redis` client fits; so does any client with the same promise-returning methods.
 */
export interface ReplayRedisClient {
  eval(script: string, numkeys: number, ...args: Array<string | number>): Promise<unknown>
  evalsha(sha1: string, numkeys: number, ...args: Array<string | number>): Promise<unknown>
}

/** Why the store could not decide; `'data-loss'` while ids from before a data loss are refused. */
export type ReplayStoreUnavailableReason = 'timeout' | 'error' | 'data-loss'

/** Reported when Redis could not answer in time or failed; `accepted` tells what was decided. */
export interface ReplayStoreUnavailableEvent {
  type: 'replay-store-unavailable'
  /**
   * `'timeout'` when no answer came within `timeout`, `'error'` when the command failed,
   * `'data-loss'` when the token may have been accepted before Redis lost its data.
   */
  reason: ReplayStoreUnavailableReason
  /** True with `failOpen` (the webhook was accepted unchecked), false when it was refused. */
  accepted: boolean
  error: unknown
}

/**
 * Reported once when the store finds that Redis lost the ids it held (a restart without
 * persistence, a flush, a failover to an empty replica): tokens that may have been accepted before
 * are refused until `refusingUntil`.
 */
export interface ReplayStoreDataLossEvent {
  type: 'replay-store-data-loss'
  /** When the loss was first noticed (by this or another instance), epoch milliseconds. */
  noticedAt: number
  /** Epoch milliseconds: `noticedAt` plus `maxTokenLifetime`. */
  refusingUntil: number
}

export type RedisReplayStoreEvent = ReplayStoreUnavailableEvent | ReplayStoreDataLossEvent

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
   * replay protection and reports a `replay-store-unavailable` event. Tokens refused after a data
   * loss are refused in both modes.
   * @default false
   */
  failOpen?: boolean
  /**
   * The longest time, in milliseconds, that any token the verifier accepts stays acceptable (its
   * `maxTokenAge`, or its `exp` span, plus `clockTolerance`). After Redis loses its data, tokens
   * that may be older than the loss are refused for this long.
   * @default 330000 (core's 300-second maxTokenAge and 30-second clockTolerance)
   */
  maxTokenLifetime?: number
  /**
   * Longest time, in milliseconds, an id is remembered, whatever its token's expiry: a token that
   * stays acceptable longer can be replayed once this has passed.
   * @default 2592000000 (30 days)
   */
  maxTtl?: number
  /** Receives the store's events, e.g. for metrics. Must not throw. */
  onEvent?: (event: RedisReplayStoreEvent) => void
}

/** Why the store could not answer; the verifier wraps it as the `cause` of its 503. */
export class ReplayStoreUnavailableError extends HooksealError {
  declare readonly code: 'ERR_REPLAY_STORE_UNAVAILABLE'
  readonly reason: ReplayStoreUnavailableReason

  constructor(
    reason: ReplayStoreUnavailableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('ERR_REPLAY_STORE_UNAVAILABLE', message, options)
    this.reason = reason
  }
}

const DEFAULT_PREFIX = 'hookseal:replay:'
const TIMED_OUT: unique symbol = Symbol('timed out')
/** Far above any token lifetime, far below what Redis accepts for `PX`. */
const DEFAULT_MAX_TTL = 30 * 24 * 60 * 60 * 1000
const LARGEST_MAX_TTL = 100 * 365 * 24 * 60 * 60 * 1000
/** Ids whose claims could not be given up are kept for the next try; bounded during long outages. */
const MAX_UNCONFIRMED_KEYS = 10_000
const MAX_UNCONFIRMED_VALUES = 32

function invalidArgument(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_VALUE' })
}

const fail: Fail = failWith('createRedisReplayStore')

function milliseconds(name: string, value: unknown, fallback: number, max?: number): number {
  return numberOption(fail, name, value, fallback, {
    unit: 'milliseconds',
    ...(max === undefined ? {} : { max }),
  })
}

interface Unconfirmed {
  readonly values: string[]
  expiresAt: number
}

/**
 * A replay store shared by every receiver instance through Redis. Each id is claimed by one atomic
 * Lua script that sets `prefix` + the SHA-256 of the id (64 hex digits whatever the id's size or
 * characters) to a value unique to the call, expiring with the token: of several instances
 * receiving the same webhook at the same moment exactly one accepts it, and Redis's memory is
 * bounded by the webhooks accepted within a token's lifetime.
 * Concurrent claims go to Redis in batches, one script and one round trip each, and are decided in
 * order, each with its own answer.
 *
 * When Redis does not answer within `timeout` or fails, the store throws (fail closed: the verifier
 * answers 503 and the sender retries), or with `failOpen` accepts and reports the outage. A claim
 * that Redis made but never confirmed is given up again, by its unique value, as soon as Redis
 * answers, and the store's next call for the same id takes it over: a retry is never mistaken for
 * a replay. A sentinel key tells the store when Redis lost its data; tokens that may predate the
 * loss are then refused for `maxTokenLifetime`.
 *
 * > [!NOTE]
 * > The claim reads the sentinel and the id's key in one script, so the store needs one Redis (a
 * > primary, with replicas or Sentinel), not Redis Cluster.
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
  const { client, prefix = DEFAULT_PREFIX, failOpen = false, onEvent } = options
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof client.eval !== 'function' ||
    typeof client.evalsha !== 'function'
  ) {
    fail('client must be a Redis client (an ioredis Redis)')
  }
  if (typeof prefix !== 'string' || prefix === '') fail('prefix must be a non-empty string')
  // Each claim reads the sentinel and the id's key in one script: on Redis Cluster both must hash
  // to one slot, which a hash tag in the prefix gives every key of the store.
  if ((client as { isCluster?: unknown }).isCluster === true && !/\{[^}]+\}/.test(prefix)) {
    fail("on Redis Cluster, prefix must hold a hash tag, e.g. '{hookseal:replay}:'")
  }
  const timeout = milliseconds('timeout', options.timeout, 1000)
  const maxTtl = Math.floor(
    milliseconds('maxTtl', options.maxTtl, DEFAULT_MAX_TTL, LARGEST_MAX_TTL),
  )
  const lifetime = milliseconds('maxTokenLifetime', options.maxTokenLifetime, 330_000)
  if (typeof failOpen !== 'boolean') fail('failOpen must be a boolean')
  if (onEvent !== undefined && typeof onEvent !== 'function') fail('onEvent must be a function')

  // Ids are 64 hex digits after the prefix, so no id's key can be the sentinel's.
  const sentinelKey = `${prefix}sentinel`
  /** The sentinel value last seen; '' until the first look. */
  let sentinel = ''
  let syncing: Promise<void> | undefined
  /** When the latest data loss was noticed; tokens that may predate it are refused for a lifetime. */
  let lossNoticedAt: number | undefined
  /** Claims refused to the caller that Redis may still hold, by key, oldest first. */
  const unconfirmed = new Map<string, Unconfirmed>()
  let draining = false
  /** The last call per key, so that a retry is sent only once the previous claim has settled. */
  const lastCall = new Map<string, Promise<void>>()

  const report = callListener<RedisReplayStoreEvent>(onEvent)

  function unavailable(reason: ReplayStoreUnavailableReason, error: unknown): true {
    const accepted = failOpen && reason !== 'data-loss'
    report({ type: 'replay-store-unavailable', reason, accepted, error })
    if (accepted) return true
    throw error
  }

  async function run(code: ReplayScript, keys: string[], args: Array<string | number>) {
    try {
      return await client.evalsha(code.sha, keys.length, ...keys, ...args)
    } catch (error) {
      // A Redis that restarted or flushed its script cache: the script did not run.
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error
      return client.eval(code.source, keys.length, ...keys, ...args)
    }
  }

  const sendClaim = createClaimBatcher(run, sentinelKey)
  // Claim values need only be unique, not secret: one random part per store, then a counter.
  const instance = randomBytes(12).toString('base64url')
  let claims = 0

  function remember(key: string, value: string, expiresAt: number): void {
    let entry = unconfirmed.get(key)
    if (entry === undefined) {
      if (unconfirmed.size >= MAX_UNCONFIRMED_KEYS) {
        unconfirmed.delete(unconfirmed.keys().next().value!)
      }
      entry = { values: [], expiresAt }
      unconfirmed.set(key, entry)
    }
    // The oldest values are kept: during an outage the first attempt is the one Redis may have run.
    if (entry.values.length < MAX_UNCONFIRMED_VALUES && !entry.values.includes(value)) {
      entry.values.push(value)
    }
    entry.expiresAt = Math.max(entry.expiresAt, expiresAt)
  }

  function forget(key: string, values: readonly string[]): void {
    const entry = unconfirmed.get(key)
    if (entry === undefined) return
    const left = entry.values.filter((value) => !values.includes(value))
    if (left.length === 0) unconfirmed.delete(key)
    else entry.values.splice(0, entry.values.length, ...left)
  }

  async function release(key: string, values: readonly string[]): Promise<void> {
    await run(RELEASE, [key], [...values])
    forget(key, values)
  }

  /** Gives up every unconfirmed claim once Redis answers again, for retries at other instances. */
  function drain(): void {
    if (draining || unconfirmed.size === 0) return
    draining = true
    void (async () => {
      try {
        for (const [key, entry] of [...unconfirmed]) {
          if (entry.expiresAt <= Date.now()) unconfirmed.delete(key)
          else await release(key, [...entry.values])
        }
      } catch {
        // Redis went away again; what is left is tried after its next answer.
      } finally {
        draining = false
      }
    })()
  }

  function adopt(value: string): void {
    const previous = sentinel
    sentinel = value
    const noticedAt = Number(value.slice(value.lastIndexOf(':') + 1))
    if (!(noticedAt > 0) || noticedAt === lossNoticedAt) return
    if (previous === '' && noticedAt + lifetime <= Date.now()) return
    lossNoticedAt = Math.max(noticedAt, lossNoticedAt ?? 0)
    report({
      type: 'replay-store-data-loss',
      noticedAt: lossNoticedAt,
      refusingUntil: lossNoticedAt + lifetime,
    })
  }

  function sync(): Promise<void> {
    syncing ??= (async () => {
      try {
        const epoch = randomBytes(12).toString('base64url')
        const value = await run(
          SYNC,
          [sentinelKey],
          [sentinel, `${epoch}:0`, `${epoch}:${Date.now()}`],
        )
        adopt(String(value))
      } finally {
        syncing = undefined
      }
    })()
    return syncing
  }

  /** True while `expiresAtMs` belongs to a token that may have been accepted before a data loss. */
  function mayPredateLoss(expiresAtMs: number, now: number): boolean {
    if (lossNoticedAt === undefined || now >= lossNoticedAt + lifetime) return false
    // A token acceptable for at most `lifetime` and still acceptable a lifetime after the loss was
    // issued after it; one acceptable for longer cannot be placed at all.
    return expiresAtMs < lossNoticedAt + lifetime || expiresAtMs > now + lifetime
  }

  async function claim(
    key: string,
    expiresAtMs: number,
    deadline: Promise<typeof TIMED_OUT>,
    previous: Promise<void> | undefined,
    settled: () => void,
  ): Promise<boolean> {
    if (previous !== undefined && (await Promise.race([previous, deadline])) === TIMED_OUT) {
      // Nothing was sent; a later call still waits for the earlier claim to settle.
      void previous.then(settled)
      return unavailable('timeout', timedOut())
    }
    for (let attempt = 0; ; attempt++) {
      const now = Date.now()
      if (mayPredateLoss(expiresAtMs, now)) {
        settled()
        return unavailable(
          'data-loss',
          new ReplayStoreUnavailableError(
            'data-loss',
            'Redis lost its data: a token that may have been accepted before is refused',
          ),
        )
      }
      const value = `${instance}.${(claims++).toString(36)}`
      const ttl = Math.min(maxTtl, Math.max(1, Math.ceil(expiresAtMs - now)))
      const own = unconfirmed.get(key)?.values ?? []
      const command = sendClaim(key, value, ttl, sentinel, own)
      let answer: unknown
      try {
        answer = await Promise.race([command, deadline])
      } catch (cause) {
        if (!failOpen) remember(key, value, expiresAtMs)
        settled()
        return unavailable(
          'error',
          new ReplayStoreUnavailableError('error', 'Redis failed', { cause }),
        )
      }
      if (answer === TIMED_OUT) {
        command
          .then(
            (late) => {
              // Refused as unavailable, the webhook will come again: a late claim must not make that
              // retry look like a replay. Accepted (fail open), the record is worth keeping.
              if (late === 1 && !failOpen) return release(key, [value])
              if (late !== 1) forget(key, [value])
            },
            () => {},
          )
          .catch(() => {})
          .finally(settled)
        if (!failOpen) remember(key, value, expiresAtMs)
        return unavailable('timeout', timedOut())
      }
      if (typeof answer === 'string') {
        if (attempt >= 2) {
          settled()
          return unavailable(
            'error',
            new ReplayStoreUnavailableError('error', 'the sentinel keeps changing'),
          )
        }
        try {
          if ((await Promise.race([sync(), deadline])) === TIMED_OUT) {
            settled()
            return unavailable('timeout', timedOut())
          }
        } catch (cause) {
          settled()
          return unavailable(
            'error',
            new ReplayStoreUnavailableError('error', 'Redis failed', { cause }),
          )
        }
        continue
      }
      settled()
      // Whatever the answer, the store's earlier claims on the key are settled: taken over, or gone.
      forget(key, own)
      drain()
      return answer === 1
    }
  }

  function timedOut(): ReplayStoreUnavailableError {
    return new ReplayStoreUnavailableError('timeout', `Redis did not answer within ${timeout} ms`)
  }

  return {
    async remember(id, expiresAtMs) {
      if (typeof id !== 'string') throw invalidArgument('remember: id must be a string')
      if (typeof expiresAtMs !== 'number' || !Number.isFinite(expiresAtMs)) {
        throw invalidArgument('remember: expiresAtMs must be a finite number of epoch milliseconds')
      }
      const key = prefix + hash('sha256', id, 'hex')

      let timer: NodeJS.Timeout | undefined
      const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(resolve, timeout, TIMED_OUT)
      })
      const previous = lastCall.get(key)
      let settled!: () => void
      const done = new Promise<void>((resolve) => {
        settled = () => {
          if (lastCall.get(key) === done) lastCall.delete(key)
          resolve()
        }
      })
      lastCall.set(key, done)
      try {
        return await claim(key, expiresAtMs, deadline, previous, settled)
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
