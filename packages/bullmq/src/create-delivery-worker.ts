import { callListener, failWith, numberOption } from '@hookseal/core/http'
import type { Fail } from '@hookseal/core/http'
import { createSender, DeliveryAttemptError, DeliveryError } from '@hookseal/core/send'
import type { Delivery, DeliveryAttempt, DeliveryResult, SenderOptions } from '@hookseal/core/send'
import { DelayedError, UnrecoverableError, Worker } from 'bullmq'
import type { ConnectionOptions, Job } from 'bullmq'
import { deadLetterKeys, saveDeadLetter } from './dead-letter-store.js'
import { admit, destinationKeys, settle } from './destination-store.js'
import type {
  Admission,
  AttemptVerdict,
  CircuitPolicy,
  DestinationCommands,
  DestinationKeys,
} from './destination-store.js'
import { headOfLine, joinLine, leaveLine, orderingKeyOf } from './ordering-store.js'
import {
  checkClusterPrefix,
  checkConnection,
  checkQueueName,
  DEFAULT_QUEUE_NAME,
  decodeDelivery,
  jobIdOf,
} from './queue-job.js'
import type { QueuedDeliveryData } from './queue-job.js'
import { traceJob } from './queue-telemetry.js'
import { reportCircuitState } from './report-circuit-state.js'
import { checkSchedule, DEFAULT_SCHEDULE, scheduledDelay } from './retry-schedule.js'

const fail: Fail = failWith('createDeliveryWorker')

/** Most attempt records kept with a job; the newest are kept. */
const MAX_HISTORY = 50

/** Limits and schedule of one destination; what is not given comes from the worker's options. */
export interface DestinationPolicy {
  /** The waits before each retry, in ms. */
  schedule?: readonly number[]
  /** Attempts in flight at once to this destination, across every worker. */
  concurrency?: number
  /** At most `max` attempts started per `duration` ms, across every worker. */
  rateLimit?: { max: number; duration: number }
}

/** When a destination is paused and disabled. */
export interface CircuitOptions {
  /** Retryable failures in a row that pause the destination. @default 5 */
  failureThreshold?: number
  /** How long a paused destination waits before one probe delivery is let through, in ms. @default 60000 */
  coolOff?: number
  /** How long a destination may keep failing before it is disabled, in ms. @default 432000000 (5 days) */
  disableAfter?: number
}

/** A destination's circuit changed; times in ms since the epoch (the worker's `clock`). */
export interface DestinationEvent {
  readonly type: 'destination-paused' | 'destination-resumed' | 'destination-disabled'
  /** The destination's origin. */
  readonly destination: string
  /** For `destination-disabled`: `gone` (410) or `failing` (for `disableAfter`). */
  readonly reason?: 'gone' | 'failing'
  readonly at: number
}

/**
 * A worker's options: the queue, how BullMQ runs it, the retry schedule, per-destination limits
 * and the circuit, and core's sender options (signer, SSRF and host policy, auth, timeout) but those
 * about retrying: each job run makes one attempt, and retries are delayed jobs.
 */
export interface DeliveryWorkerOptions extends Omit<
  SenderOptions,
  'onDeadLetter' | 'maxAttempts' | 'backoff' | 'maxBackoff' | 'maxElapsed' | 'maxRetryAfter'
> {
  /** Where the queue lives: ioredis options or an ioredis client (`maxRetriesPerRequest: null`). */
  connection: ConnectionOptions
  /** @default 'hookseal-deliveries' */
  queueName?: string
  /** BullMQ's key prefix; a hash tag (`'{hookseal}'`) for Redis Cluster. @default 'bull' */
  prefix?: string
  /** Deliveries in progress at once in this worker. @default 10 */
  concurrency?: number
  /**
   * How long a job stays locked to this worker without a renewal, in ms; a worker that died gives
   * its jobs back after it. Renewed every half of it while the worker lives. @default 30000
   */
  lockDuration?: number
  /** How often the worker looks for jobs whose worker died, in ms. @default 30000 */
  stalledInterval?: number
  /**
   * How many times a job may be given back by dead workers before BullMQ fails it (it then stays
   * in BullMQ's failed set, not in the dead letters): a guard against an event that crashes workers.
   * @default 3
   */
  maxStalledCount?: number
  /**
   * The waits before each retry, in ms; the first attempt is made at once, and the delivery is
   * dead-lettered once a retryable failure finds no wait left.
   * @default [5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h] (`DEFAULT_SCHEDULE`)
   */
  schedule?: readonly number[]
  /** Each wait is spread at random by up to this fraction, either way. @default 0.2 */
  jitter?: number
  /** Longest `Retry-After` honoured, in ms; a longer one is cut to this. @default 3600000 (1 h) */
  maxRetryAfter?: number
  /** Attempts in flight at once per destination, across every worker. @default 10 */
  destinationConcurrency?: number
  /** Attempts started per destination per `duration` ms, across every worker. @default none */
  destinationRateLimit?: { max: number; duration: number }
  /** Policies by origin (`https://partner.example:8443`) or host name; an origin wins. */
  destinations?: Readonly<Record<string, DestinationPolicy>>
  /** Retry schedules by the delivery's `eventType`; they win over the destination's. */
  eventTypes?: Readonly<Record<string, { schedule: readonly number[] }>>
  circuit?: CircuitOptions
  /** How long a delivery held back by a busy destination or its ordering key waits, in ms. @default 1000 */
  holdInterval?: number
  /**
   * Longest wait of a delivery for a paused or disabled destination before it looks again, in ms:
   * it is what makes an `enableDestination` take effect. @default 60000
   */
  maxHold?: number
  /** Most characters of a response body kept in an attempt's record. @default 1024 */
  maxExcerpt?: number
  /** The circuit's clock, in ms since the epoch. @default Date.now */
  clock?: () => number
  /** Receives worker and connection errors (otherwise ignored). */
  onError?: (error: Error) => void
  /** Receives a destination's pauses, resumptions and disabling. Must not throw. */
  onDestinationEvent?: (event: DestinationEvent) => void
}

/** A running delivery worker; made by `createDeliveryWorker`. */
export interface DeliveryWorker {
  /**
   * Stops taking jobs and waits for those in progress, then closes the connection. With `force`,
   * stops at once: jobs in progress go back to the queue once their lock expires.
   */
  close(force?: boolean): Promise<void>
}

/**
 * What a finished job returns: a delivery, or a dead letter stored in Redis. `attempts` counts every
 * attempt made, also past the 50 records the job's history keeps.
 */
export type DeliveryJobOutcome =
  | { readonly delivered: true; readonly status: number; readonly attempts: number }
  | { readonly delivered: false; readonly reason: string; readonly attempts: number }

/** Options of a destination policy, checked once. */
interface Limits {
  readonly schedule: readonly number[]
  readonly concurrency: number
  readonly rateMax: number
  readonly rateWindow: number
}

function checkRateLimit(name: string, value: unknown): { rateMax: number; rateWindow: number } {
  if (value === undefined) return { rateMax: 0, rateWindow: 1 }
  if (typeof value !== 'object' || value === null) fail(`${name} must be { max, duration }`)
  const { max, duration } = value as { max?: unknown; duration?: unknown }
  const whole = { integer: true }
  return {
    rateMax: numberOption(fail, `${name}.max`, max, 1, whole),
    rateWindow: numberOption(fail, `${name}.duration`, duration, 1000, whole),
  }
}

/**
 * Starts a BullMQ worker that delivers the webhooks `createQueuedSender` enqueued.
 *
 * Each job run makes ONE attempt through core's sender (a fresh JWT, the same `Webhook-Id`, the same
 * SSRF, host and auth rules). A retryable failure records the attempt with the job and moves it to
 * BullMQ's delayed set for the next wait of its schedule: no worker sleeps through a retry, and a
 * schedule spanning a day survives restarts of workers and of Redis (with an append-only file).
 * Before the attempt the job asks its destination for a slot (concurrency, rate limit, circuit) and,
 * with an `orderingKey`, whether it heads its line; when it may not go, it is delayed and tried
 * again, never dropped. A delivery that fails for good is stored as a dead letter in Redis and its
 * job completes. A job whose worker died is taken up by another worker once its lock expires:
 * delivery is at least once, and repeats carry the same `Webhook-Id`. A destination the sender
 * refuses, or data that is not a delivery, fails the job without retry; it stays in BullMQ's failed
 * set (`listFailed`, `replayFailed`).
 *
 * @param options The queue, the schedule, the limits and the sender options; checked here, once.
 * @throws TypeError when an option is invalid (core's sender options included).
 *
 * @example
 * ```ts
 * const worker = createDeliveryWorker({
 *   connection: { host: 'redis.internal', port: 6379 },
 *   signer: createSigner({ issuer: 'https://partner.example', keys }),
 *   allowedHosts: ['hooks.customer.example'],
 *   concurrency: 20,
 *   destinationConcurrency: 4,
 *   eventTypes: { 'invoice.paid': { schedule: [1000, 60_000, 3_600_000] } },
 * })
 * process.once('SIGTERM', () => void worker.close())
 * ```
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const {
    connection: rawConnection,
    queueName: rawQueueName,
    prefix,
    concurrency: rawConcurrency,
    lockDuration: rawLockDuration,
    stalledInterval: rawStalledInterval,
    maxStalledCount: rawMaxStalledCount,
    schedule: rawSchedule,
    jitter: rawJitter,
    maxRetryAfter: rawMaxRetryAfter,
    destinationConcurrency: rawDestinationConcurrency,
    destinationRateLimit,
    destinations: rawDestinations = {},
    eventTypes: rawEventTypes = {},
    circuit: rawCircuit = {},
    holdInterval: rawHoldInterval,
    maxHold: rawMaxHold,
    maxExcerpt: rawMaxExcerpt,
    clock = Date.now,
    onError,
    onDestinationEvent,
    ...senderOptions
  } = options
  const connection = checkConnection(fail, rawConnection)
  const queueName = checkQueueName(fail, rawQueueName ?? DEFAULT_QUEUE_NAME)
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix === '')) {
    fail('prefix must be a non-empty string')
  }
  checkClusterPrefix(fail, connection, prefix)
  const whole = { integer: true }
  const wholeOrZero = { integer: true, allowZero: true }
  const concurrency = numberOption(fail, 'concurrency', rawConcurrency, 10, whole)
  const lockDuration = numberOption(fail, 'lockDuration', rawLockDuration, 30_000, whole)
  const stalledInterval = numberOption(fail, 'stalledInterval', rawStalledInterval, 30_000, whole)
  const maxStalledCount = numberOption(fail, 'maxStalledCount', rawMaxStalledCount, 3, whole)
  const jitter = numberOption(fail, 'jitter', rawJitter, 0.2, { allowZero: true, max: 1 })
  const maxRetryAfter = numberOption(fail, 'maxRetryAfter', rawMaxRetryAfter, 3_600_000, whole)
  const holdInterval = numberOption(fail, 'holdInterval', rawHoldInterval, 1000, whole)
  const maxHold = numberOption(fail, 'maxHold', rawMaxHold, 60_000, whole)
  const maxExcerpt = numberOption(fail, 'maxExcerpt', rawMaxExcerpt, 1024, wholeOrZero)
  if (typeof clock !== 'function') fail('clock must be a function')
  if (onError !== undefined && typeof onError !== 'function') fail('onError must be a function')
  if (onDestinationEvent !== undefined && typeof onDestinationEvent !== 'function') {
    fail('onDestinationEvent must be a function')
  }
  if (typeof rawCircuit !== 'object' || rawCircuit === null) fail('circuit must be an object')
  const circuit: CircuitPolicy = {
    failureThreshold: numberOption(
      fail,
      'circuit.failureThreshold',
      rawCircuit.failureThreshold,
      5,
      whole,
    ),
    coolOff: numberOption(fail, 'circuit.coolOff', rawCircuit.coolOff, 60_000, whole),
    disableAfter: numberOption(
      fail,
      'circuit.disableAfter',
      rawCircuit.disableAfter,
      5 * 86_400_000,
      whole,
    ),
  }
  const defaults: Limits = {
    schedule: checkSchedule(fail, 'schedule', rawSchedule ?? DEFAULT_SCHEDULE),
    concurrency: numberOption(fail, 'destinationConcurrency', rawDestinationConcurrency, 10, whole),
    ...checkRateLimit('destinationRateLimit', destinationRateLimit),
  }
  if (typeof rawDestinations !== 'object' || rawDestinations === null) {
    fail('destinations must be an object')
  }
  const destinations = new Map<string, Limits>()
  for (const [name, policy] of Object.entries(rawDestinations)) {
    if (typeof policy !== 'object' || policy === null)
      fail(`destinations[${name}] must be an object`)
    const at = `destinations[${name}]`
    destinations.set(name, {
      schedule:
        policy.schedule === undefined
          ? defaults.schedule
          : checkSchedule(fail, `${at}.schedule`, policy.schedule),
      concurrency: numberOption(
        fail,
        `${at}.concurrency`,
        policy.concurrency,
        defaults.concurrency,
        whole,
      ),
      ...(policy.rateLimit === undefined
        ? { rateMax: defaults.rateMax, rateWindow: defaults.rateWindow }
        : checkRateLimit(`${at}.rateLimit`, policy.rateLimit)),
    })
  }
  if (typeof rawEventTypes !== 'object' || rawEventTypes === null) {
    fail('eventTypes must be an object')
  }
  const eventSchedules = new Map<string, readonly number[]>()
  for (const [name, policy] of Object.entries(rawEventTypes)) {
    eventSchedules.set(
      name,
      checkSchedule(
        fail,
        `eventTypes[${name}].schedule`,
        (policy as { schedule?: unknown })?.schedule,
      ),
    )
  }
  const timeout = numberOption(fail, 'timeout', senderOptions.timeout, 10_000, whole)
  // A slot outlives the longest attempt; a worker killed mid-attempt gives it back after this.
  const leaseMs = timeout + lockDuration
  const emitDestination = callListener(onDestinationEvent)

  function limitsFor(url: URL): Limits {
    return destinations.get(url.origin) ?? destinations.get(url.hostname) ?? defaults
  }

  // Validates the sender options now, before any job runs. One attempt per call: the schedule
  // between attempts is the queue's.
  const sender = createSender({
    ...senderOptions,
    maxAttempts: 1,
    onDeadLetter() {},
  })

  function record(attempt: DeliveryAttempt, number: number): DeliveryAttempt {
    const { responseBody } = attempt
    if (responseBody === undefined || responseBody.length <= maxExcerpt) {
      return { ...attempt, attempt: number }
    }
    return {
      ...attempt,
      attempt: number,
      responseBody: responseBody.slice(0, maxExcerpt),
      responseTruncated: true,
    }
  }

  /**
   * The job's record with this run's attempts added, numbered on, the oldest dropped past
   * `MAX_HISTORY`: a destination disabled and enabled again and again must not grow a job forever.
   */
  function extend(
    history: readonly DeliveryAttempt[],
    made: readonly DeliveryAttempt[],
  ): DeliveryAttempt[] {
    const last = history.at(-1)?.attempt ?? 0
    const all = [...history, ...made.map((attempt, index) => record(attempt, last + index + 1))]
    return all.slice(-MAX_HISTORY)
  }

  /** Attempts made in all: the newest record's number, which the cap on the history leaves. */
  function attemptsMade(attempts: readonly DeliveryAttempt[]): number {
    return attempts.at(-1)?.attempt ?? 0
  }

  async function hold(
    job: Job<QueuedDeliveryData>,
    token: string | undefined,
    waitMs: number,
  ): Promise<never> {
    await job.moveToDelayed(Date.now() + Math.max(1, Math.round(waitMs)), token)
    // Tells BullMQ the job was moved on purpose: neither failed nor completed.
    throw new DelayedError()
  }

  function holdFor(admission: Exclude<Admission, { verdict: 'go' }>): number {
    switch (admission.verdict) {
      case 'disabled':
        return maxHold
      case 'busy':
        // Spread, so that the held deliveries of one destination do not all come back at once.
        return holdInterval * (0.5 + Math.random())
      default:
        return Math.min(Math.max(admission.waitMs, 1), maxHold)
    }
  }

  function announce(
    destination: string,
    change: { before: string; after: string },
    at: number,
    probe: boolean,
  ) {
    // The open-circuits gauge follows every change, a disabled destination counting as open.
    reportCircuitState(destination, change.after === 'active' ? 'closed' : 'open')
    // A failed probe pauses the destination again, for another cool-off.
    if (change.before === change.after && !(probe && change.after === 'paused')) return
    if (change.after === 'paused') emitDestination({ type: 'destination-paused', destination, at })
    if (change.after === 'active') emitDestination({ type: 'destination-resumed', destination, at })
  }

  async function processJob(
    job: Job<QueuedDeliveryData>,
    token?: string,
  ): Promise<DeliveryJobOutcome> {
    let delivery: Delivery
    try {
      delivery = decodeDelivery(job.data)
    } catch (error) {
      throw new UnrecoverableError(error instanceof Error ? error.message : String(error))
    }
    const data = job.data
    const jobId = job.id ?? jobIdOf(data.webhookId)
    const url = new URL(data.url)
    const destination = url.origin
    const limits = limitsFor(url)
    const redis = (await worker.client) as unknown as DestinationCommands
    const toKey = worker.toKey.bind(worker)
    const keys = destinationKeys(toKey, destination)

    const line =
      data.orderingKey === undefined
        ? undefined
        : orderingKeyOf(toKey, destination, data.orderingKey)
    if (line !== undefined) {
      // Back from the failed set or a lost entry: take a place at the end of the line.
      await joinLine(redis, line, jobId)
      const head = await headOfLine(redis, line)
      if (head !== undefined && head !== jobId) {
        // A head whose job is gone (removed by hand) would block its line for ever.
        if ((await redis.exists(toKey(head))) === 0) await leaveLine(redis, line, head)
        return hold(job, token, holdInterval)
      }
    }

    const admission = await admit(redis, keys, destination, jobId, { ...limits, leaseMs }, clock())
    if (admission.verdict !== 'go') return hold(job, token, holdFor(admission))
    if (admission.probe) reportCircuitState(destination, 'half-open')

    const history = data.history ?? []
    const counted = data.attemptsCounted ?? 0
    let result: DeliveryResult
    try {
      result = await sender.send(delivery)
    } catch (error) {
      if (!(error instanceof DeliveryError && error.code === 'ERR_DELIVERY_FAILED')) {
        await settle(redis, keys, jobId, 'neutral', circuit, clock())
        if (line !== undefined) await leaveLine(redis, line, jobId)
        if (error instanceof DeliveryError || error instanceof TypeError) {
          throw new UnrecoverableError(error.message)
        }
        throw error
      }
      const probe = admission.probe
      return failed(job, token, error, { line, keys, destination, limits, history, counted, probe })
    }
    const attempts = extend(history, result.attempts)
    const at = clock()
    announce(destination, await settle(redis, keys, jobId, 'ok', circuit, at), at, admission.probe)
    if (line !== undefined) await leaveLine(redis, line, jobId)
    return { delivered: true, status: result.status, attempts: attemptsMade(attempts) }
  }

  async function failed(
    job: Job<QueuedDeliveryData>,
    token: string | undefined,
    error: DeliveryError,
    context: {
      line: string | undefined
      keys: DestinationKeys
      destination: string
      limits: Limits
      history: readonly DeliveryAttempt[]
      counted: number
      probe: boolean
    },
  ): Promise<DeliveryJobOutcome> {
    const { line, keys, destination, limits, history } = context
    const data = job.data
    const redis = (await worker.client) as unknown as DestinationCommands
    const cause = error.cause instanceof DeliveryAttemptError ? error.cause : undefined
    const attempts = extend(history, error.attempts)
    const gone = cause?.status === 410
    const verdict: AttemptVerdict = gone ? 'gone' : cause?.retryable === true ? 'fail' : 'neutral'
    const at = clock()
    const change = await settle(
      redis,
      keys,
      job.id ?? jobIdOf(data.webhookId),
      verdict,
      circuit,
      at,
    )
    announce(destination, change, at, context.probe)
    if (change.after === 'disabled' && change.before !== 'disabled') {
      emitDestination({
        type: 'destination-disabled',
        destination,
        reason: gone ? 'gone' : 'failing',
        at,
      })
    }

    const counted = gone ? context.counted : context.counted + 1
    // A 410 disables the destination; its deliveries wait for it to be enabled again.
    const delay = gone
      ? maxHold
      : cause?.retryable === true
        ? scheduledDelay(
            eventSchedules.get(data.eventType ?? '') ?? limits.schedule,
            counted,
            attempts.at(-1)?.retryAfterMs,
            maxRetryAfter,
            jitter,
            Math.random(),
          )
        : undefined
    if (delay !== undefined) {
      await job.updateData({ ...data, history: attempts, attemptsCounted: counted })
      return hold(job, token, delay)
    }

    const letter = error.deadLetter
    if (letter === undefined) throw error
    const reason = cause?.retryable === true ? 'attempts-exhausted' : 'permanent-failure'
    const client = await worker.client
    // Not stored: the job fails and stays in BullMQ's failed set rather than vanish.
    await saveDeadLetter(
      client,
      deadLetterKeys(worker.toKey.bind(worker)),
      { ...letter, reason, attempts },
      Date.now(),
      {
        ...(data.eventType === undefined ? {} : { eventType: data.eventType }),
        ...(data.orderingKey === undefined ? {} : { orderingKey: data.orderingKey }),
      },
    )
    if (line !== undefined) await leaveLine(redis, line, job.id ?? jobIdOf(data.webhookId))
    return { delivered: false, reason, attempts: attemptsMade(attempts) }
  }

  const tracedJob = (job: Job<QueuedDeliveryData>): Promise<DeliveryJobOutcome> =>
    traceJob(queueName, job, () => processJob(job))

  const worker = new Worker<QueuedDeliveryData, DeliveryJobOutcome>(queueName, tracedJob, {
    connection,
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount,
    ...(prefix === undefined ? {} : { prefix }),
  })
  worker.on('error', callListener(onError))
  let closing: Promise<void> | undefined

  return Object.freeze({
    close(force = false) {
      closing ??= worker.close(force).finally(() => sender.close())
      return closing
    },
  })
}
