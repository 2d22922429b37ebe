/**
 * Where a destination's state lives in Redis, next to the queue's own keys (so that with a hash-tag
 * prefix such as `{hookseal}` they all share one Redis Cluster slot and the scripts may touch them
 * together):
 *
 * - `<queue>:hookseal-destination:<origin>`: a hash with the circuit (`state`, `failures`,
 *   `firstFailureAt`, `reopenAt`, the half-open `prober`), the rate window, and when it last
 *   succeeded and failed;
 * - `<queue>:hookseal-slots:<origin>`: a sorted set of the jobs holding one of its concurrency
 *   slots, scored by when the lease runs out (a worker killed mid-attempt gives its slot back then);
 * - `<queue>:hookseal-destinations`: every destination seen, scored by when it was first seen.
 */

/** The circuit of one destination. */
export type DestinationState = 'active' | 'paused' | 'disabled'

/** One destination as operators see it; times in ms since the epoch. */
export interface DestinationInfo {
  /** The destination: the origin of its URLs (`https://hooks.customer.example`). */
  readonly destination: string
  readonly state: DestinationState
  /** Retryable failures in a row. */
  readonly failures: number
  /** When the current run of failures began. */
  readonly firstFailureAt?: number
  /** While paused: when a probe may go. */
  readonly reopenAt?: number
  readonly disabledAt?: number
  /** `gone` (it answered 410), `failing` (failing for `disableAfter`) or `manual`. */
  readonly disabledReason?: 'gone' | 'failing' | 'manual'
  readonly lastSuccessAt?: number
  readonly lastFailureAt?: number
}

/** The few commands these scripts need; BullMQ's connections are ioredis clients. */
export interface DestinationCommands {
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  hgetall(key: string): Promise<Record<string, string>>
  zrange(key: string, start: number, stop: number): Promise<string[]>
  rpush(key: string, ...values: string[]): Promise<number>
  lpos(key: string, value: string): Promise<number | null>
  lindex(key: string, index: number): Promise<string | null>
  lrem(key: string, count: number, value: string): Promise<number>
  exists(key: string): Promise<number>
}

/** How keys are made: the queue's `toKey`. */
export type ToKey = (type: string) => string

export interface DestinationKeys {
  readonly state: string
  readonly slots: string
  readonly index: string
}

export function destinationKeys(toKey: ToKey, destination: string): DestinationKeys {
  return {
    state: toKey(`hookseal-destination:${destination}`),
    slots: toKey(`hookseal-slots:${destination}`),
    index: toKey('hookseal-destinations'),
  }
}

/** The destination of a URL: its origin, the unit of limits and circuits. */
export function destinationOf(url: string): string {
  return new URL(url).origin
}

// KEYS: state, slots, index. ARGV: now (the circuit's clock), wall (real time, for leases and the
// rate window), job id, concurrency (0: none), lease ms, rate max (0: none), rate window ms, origin.
const ADMIT = `
local now = tonumber(ARGV[1])
local wall = tonumber(ARGV[2])
redis.call('ZADD', KEYS[3], 'NX', now, ARGV[8])
local state = redis.call('HGET', KEYS[1], 'state')
local probe = 0
if state == 'disabled' then return {'disabled', 0} end
if state == 'paused' then
  local reopenAt = tonumber(redis.call('HGET', KEYS[1], 'reopenAt') or '0')
  if now < reopenAt then return {'paused', reopenAt - now} end
  local prober = redis.call('HGET', KEYS[1], 'prober')
  local proberEnd = tonumber(redis.call('HGET', KEYS[1], 'proberUntil') or '0')
  if prober and prober ~= ARGV[3] and wall < proberEnd then return {'probing', proberEnd - wall} end
  probe = 1
end
local concurrency = tonumber(ARGV[4])
if concurrency > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', wall)
  if not redis.call('ZSCORE', KEYS[2], ARGV[3]) and redis.call('ZCARD', KEYS[2]) >= concurrency then
    return {'busy', 0}
  end
end
local rate = tonumber(ARGV[6])
if rate > 0 then
  local window = tonumber(ARGV[7])
  local started = tonumber(redis.call('HGET', KEYS[1], 'windowStart') or '0')
  local count = tonumber(redis.call('HGET', KEYS[1], 'windowCount') or '0')
  if wall - started >= window then
    started = wall
    count = 0
  end
  if count >= rate then return {'rate', started + window - wall} end
  redis.call('HSET', KEYS[1], 'windowStart', started, 'windowCount', count + 1)
end
if concurrency > 0 then redis.call('ZADD', KEYS[2], wall + tonumber(ARGV[5]), ARGV[3]) end
if probe == 1 then
  redis.call('HSET', KEYS[1], 'prober', ARGV[3], 'proberUntil', wall + tonumber(ARGV[5]))
end
return {'go', probe}
`

// KEYS: state, slots. ARGV: now, job id, outcome (ok, fail, gone, neutral), failures that pause,
// cool-off ms, ms of failing that disable. Returns the state before and after.
const SETTLE = `
local now = tonumber(ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
if redis.call('HGET', KEYS[1], 'prober') == ARGV[2] then
  redis.call('HDEL', KEYS[1], 'prober', 'proberUntil')
end
local state = redis.call('HGET', KEYS[1], 'state') or 'active'
local outcome = ARGV[3]
if state == 'disabled' or outcome == 'neutral' then return {state, state} end
if outcome == 'ok' then
  redis.call('HSET', KEYS[1], 'state', 'active', 'failures', 0, 'lastSuccessAt', now)
  redis.call('HDEL', KEYS[1], 'firstFailureAt', 'reopenAt')
  return {state, 'active'}
end
redis.call('HSET', KEYS[1], 'lastFailureAt', now)
if outcome == 'gone' then
  redis.call('HSET', KEYS[1], 'state', 'disabled', 'disabledAt', now, 'disabledReason', 'gone')
  return {state, 'disabled'}
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local first = tonumber(redis.call('HGET', KEYS[1], 'firstFailureAt') or '-1')
if first < 0 then
  first = now
  redis.call('HSET', KEYS[1], 'firstFailureAt', now)
end
if now - first >= tonumber(ARGV[6]) then
  redis.call('HSET', KEYS[1], 'state', 'disabled', 'disabledAt', now, 'disabledReason', 'failing')
  return {state, 'disabled'}
end
if failures >= tonumber(ARGV[4]) or state == 'paused' then
  redis.call('HSET', KEYS[1], 'state', 'paused', 'reopenAt', now + tonumber(ARGV[5]))
  return {state, 'paused'}
end
return {state, state}
`

// KEYS: state, index. ARGV: now, origin, 'enable' or 'disable'.
const SWITCH = `
redis.call('ZADD', KEYS[2], 'NX', ARGV[1], ARGV[2])
local before = redis.call('HGET', KEYS[1], 'state') or 'active'
if ARGV[3] == 'enable' then
  redis.call('HSET', KEYS[1], 'state', 'active', 'failures', 0)
  redis.call('HDEL', KEYS[1], 'firstFailureAt', 'reopenAt', 'disabledAt', 'disabledReason')
else
  redis.call('HSET', KEYS[1], 'state', 'disabled', 'disabledAt', ARGV[1], 'disabledReason', 'manual')
end
return before
`

/** Whether a job may make its attempt now, and if not, why and for how long at least. */
export type Admission =
  | { readonly verdict: 'go'; readonly probe: boolean }
  | {
      readonly verdict: 'disabled' | 'paused' | 'probing' | 'busy' | 'rate'
      readonly waitMs: number
    }

export interface AdmitLimits {
  readonly concurrency: number
  readonly leaseMs: number
  readonly rateMax: number
  readonly rateWindow: number
}

/** Asks for one of the destination's slots, within its rate and circuit, in one step. */
export async function admit(
  redis: DestinationCommands,
  keys: DestinationKeys,
  destination: string,
  jobId: string,
  limits: AdmitLimits,
  now: number,
): Promise<Admission> {
  const [verdict, value] = (await redis.eval(
    ADMIT,
    3,
    keys.state,
    keys.slots,
    keys.index,
    now,
    Date.now(),
    jobId,
    limits.concurrency,
    limits.leaseMs,
    limits.rateMax,
    limits.rateWindow,
    destination,
  )) as [string, number]
  if (verdict === 'go') return { verdict, probe: value === 1 }
  return { verdict: verdict as Exclude<Admission['verdict'], 'go'>, waitMs: Number(value) }
}

/** How an attempt ended, for the circuit: `neutral` neither opens nor closes it. */
export type AttemptVerdict = 'ok' | 'fail' | 'gone' | 'neutral'

export interface CircuitPolicy {
  readonly failureThreshold: number
  readonly coolOff: number
  readonly disableAfter: number
}

/** Gives the slot back and moves the circuit; resolves to its state before and after. */
export async function settle(
  redis: DestinationCommands,
  keys: DestinationKeys,
  jobId: string,
  verdict: AttemptVerdict,
  circuit: CircuitPolicy,
  now: number,
): Promise<{ before: DestinationState; after: DestinationState }> {
  const [before, after] = (await redis.eval(
    SETTLE,
    2,
    keys.state,
    keys.slots,
    now,
    jobId,
    verdict,
    circuit.failureThreshold,
    circuit.coolOff,
    circuit.disableAfter,
  )) as [DestinationState, DestinationState]
  return { before, after }
}

/** Enables or disables a destination by hand; resolves to its state before. */
export async function switchDestination(
  redis: DestinationCommands,
  toKey: ToKey,
  destination: string,
  action: 'enable' | 'disable',
  now: number,
): Promise<DestinationState> {
  const keys = destinationKeys(toKey, destination)
  return (await redis.eval(
    SWITCH,
    2,
    keys.state,
    keys.index,
    now,
    destination,
    action,
  )) as DestinationState
}

function optionalNumber(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value)
}

/** One destination's state as stored. */
export async function readDestination(
  redis: DestinationCommands,
  toKey: ToKey,
  destination: string,
): Promise<DestinationInfo> {
  const hash = await redis.hgetall(destinationKeys(toKey, destination).state)
  const info: Record<string, unknown> = {
    destination,
    state: (hash.state ?? 'active') as DestinationState,
    failures: Number(hash.failures ?? 0),
    firstFailureAt: optionalNumber(hash.firstFailureAt),
    reopenAt: hash.state === 'paused' ? optionalNumber(hash.reopenAt) : undefined,
    disabledAt: optionalNumber(hash.disabledAt),
    disabledReason: hash.disabledReason,
    lastSuccessAt: optionalNumber(hash.lastSuccessAt),
    lastFailureAt: optionalNumber(hash.lastFailureAt),
  }
  for (const key of Object.keys(info)) if (info[key] === undefined) delete info[key]
  return info as unknown as DestinationInfo
}

/** Every destination seen, in the order first seen. */
export async function readDestinations(
  redis: DestinationCommands,
  toKey: ToKey,
): Promise<DestinationInfo[]> {
  const origins = await redis.zrange(toKey('hookseal-destinations'), 0, -1)
  return Promise.all(origins.map((origin) => readDestination(redis, toKey, origin)))
}
