import { callListener, failWith, numberOption } from '@hookseal/core/http'
import type { Fail } from '@hookseal/core/http'
import { Queue } from 'bullmq'
import type { ConnectionOptions } from 'bullmq'
import {
  deadLetterIdsBetween,
  deadLetterKeys,
  getDeadLetter,
  listDeadLetters,
  removeDeadLetter,
} from './dead-letter-store.js'
import type { StoredDeadLetter } from './dead-letter-store.js'
import {
  checkClusterPrefix,
  checkConnection,
  checkQueueName,
  DEFAULT_QUEUE_NAME,
  DELIVERY_JOB_NAME,
  encodeDelivery,
  jobIdOf,
  splitQueued,
} from './queue-job.js'
import type { QueuedDelivery, QueuedDeliveryData } from './queue-job.js'
import { readDestination, readDestinations, switchDestination } from './destination-store.js'
import type { DestinationCommands, DestinationInfo } from './destination-store.js'
import { joinLine, orderingKeyOf } from './ordering-store.js'
import { failedJobsMatching, jobRecord, letterRecord, matches } from './operator-view.js'
import type { DeliveryRecord, ReplayFilter } from './operator-view.js'
import type { Job } from 'bullmq'
import { DeliveryQueueError } from './delivery-queue-error.js'
import { withQueueTimeout } from './queue-timeout.js'
import { observeQueueDepth, traceEnqueue } from './queue-telemetry.js'

const fail: Fail = failWith('createQueuedSender')

/** The one command the durability check sends besides BullMQ's own. */
interface ConfigCommand {
  config(subcommand: 'GET', parameter: string): Promise<unknown>
}

/** Redis's own refusal of a command (ioredis's `ReplyError`), as against a connection failure. */
function isRedisReply(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError'
}

export interface QueuedSenderOptions {
  /**
   * Where the queue lives: ioredis options (`{ host, port }`) or an ioredis client, as BullMQ takes
   * them. A client passed here is shared, and left open by `close`.
   */
  connection: ConnectionOptions
  /** The BullMQ queue; the workers must use the same one. @default 'hookseal-deliveries' */
  queueName?: string
  /**
   * BullMQ's key prefix; the workers must use the same one. A hash tag (`'{hookseal}'`) keeps every
   * key of the queue in one Redis Cluster slot. @default 'bull'
   */
  prefix?: string
  /**
   * Longest wait for Redis to store a delivery (or to answer a dead-letter call), in ms; past it
   * the call rejects with `ERR_QUEUE_UNAVAILABLE`. @default 5000
   */
  enqueueTimeout?: number
  /**
   * Refuse to send while Redis keeps no append-only file (`appendonly no`): without it a delivery
   * that `send` promised is lost when Redis restarts. Checked once, before the first `send`.
   * @default true
   */
  requireAppendOnly?: boolean
  /**
   * Receives the queue's connection errors (otherwise ignored: `send` reports its own), and the
   * durability check's findings: `DeliveryQueueError` with `ERR_QUEUE_NOT_DURABLE`, or
   * `ERR_QUEUE_DURABILITY_UNKNOWN` when Redis does not allow `CONFIG GET`.
   */
  onError?: (error: Error) => void
}

/** Enqueues webhooks for delivery by workers; made by `createQueuedSender`. */
export interface QueuedSender {
  /**
   * Stores one delivery in Redis, to be signed and sent by a worker. Resolves once Redis holds it,
   * with its `webhookId` (a fresh UUID when the delivery named none). Sending the same `webhookId`
   * again while its job is pending keeps one job. Rejects with a `TypeError` for a malformed
   * delivery, and with a `DeliveryQueueError` when Redis did not store it within `enqueueTimeout`.
   */
  send(delivery: QueuedDelivery): Promise<{ webhookId: string }>
  /** The dead letters, oldest first. @default offset 0, limit 100 */
  listDeadLetters(options?: { offset?: number; limit?: number }): Promise<StoredDeadLetter[]>
  /** One webhook's dead letter, if it has one. */
  getDeadLetter(webhookId: string): Promise<StoredDeadLetter | undefined>
  /**
   * Enqueues a dead letter's delivery again, with the same `webhookId`, and then removes the letter.
   * Resolves to false when there is no letter for that id.
   */
  replayDeadLetter(webhookId: string): Promise<boolean>
  /** Deletes one webhook's dead letter without sending it; false when there was none. */
  deleteDeadLetter(webhookId: string): Promise<boolean>
  /**
   * Where one delivery is (waiting, delayed with its next attempt's time, active, failed, or
   * dead-lettered) with every attempt made; `undefined` when neither the queue nor the dead letters
   * hold it (delivered jobs are removed).
   */
  getDelivery(webhookId: string): Promise<DeliveryRecord | undefined>
  /**
   * BullMQ's failed set, newest first: jobs that were not deliveries, destinations the worker's
   * policy refuses, jobs given back by crashed workers too often, dead letters that could not be
   * stored. @default offset 0, limit 100
   */
  listFailed(options?: { offset?: number; limit?: number }): Promise<DeliveryRecord[]>
  /**
   * Sends a failed job again (its attempts kept, its schedule started afresh); false when no failed
   * job has that id.
   */
  replayFailed(webhookId: string): Promise<boolean>
  /** Replays every dead letter matching the filter, oldest first; resolves to how many. */
  replayDeadLetters(filter?: ReplayFilter): Promise<number>
  /** Replays every failed job matching the filter (by when it failed); resolves to how many. */
  replayFailedDeliveries(filter?: ReplayFilter): Promise<number>
  /** Every destination the workers have seen (or an operator switched), with its circuit. */
  listDestinations(): Promise<DestinationInfo[]>
  /** One destination's circuit; `destination` is a URL or an origin. */
  getDestination(destination: string): Promise<DestinationInfo>
  /**
   * Disables a destination by hand: its deliveries wait, none is attempted or dropped, until it is
   * enabled. Resolves to its state before.
   */
  disableDestination(destination: string): Promise<DestinationInfo['state']>
  /**
   * Enables a destination (disabled by hand, by a 410, or for failing too long) and closes its
   * circuit: the deliveries that waited go within the workers' `maxHold`. Resolves to its state
   * before.
   */
  enableDestination(destination: string): Promise<DestinationInfo['state']>
  /** Closes the queue's connection (not a client passed as `connection`). */
  close(): Promise<void>
}

/** The origin of a URL or origin an operator typed; a `TypeError` for anything else. */
function originOf(destination: string): string {
  if (typeof destination !== 'string' || !URL.canParse(destination)) {
    throw new TypeError('destination must be a URL or an origin (https://host[:port])')
  }
  const { origin } = new URL(destination)
  if (origin === 'null') throw new TypeError('destination must be an http(s) URL or origin')
  return origin
}

/**
 * Creates a sender that persists webhooks in a BullMQ queue on Redis instead of retrying in memory.
 *
 * `send` resolves once the event (URL, method, body, headers, audience) and its `Webhook-Id` are in
 * Redis; workers made by `createDeliveryWorker`, in this process or any other, sign a fresh token
 * for every attempt and deliver with core's sender. The job id is the `webhookId`, so enqueuing one
 * event twice keeps one job; a delivery whose retries ran out becomes a dead letter, listed and
 * replayed from here.
 *
 * @param options The Redis connection and the queue; checked here, once.
 * @throws TypeError when an option is invalid.
 *
 * @example
 * ```ts
 * const queued = createQueuedSender({ connection: { host: 'redis.internal', port: 6379 } })
 * const { webhookId } = await queued.send({
 *   url: 'https://hooks.customer.example/webhooks',
 *   body: JSON.stringify({ type: 'invoice.paid', invoice: 'in_1042' }),
 *   webhookId: 'evt_1042',
 * })
 * // later, by hand or from an admin endpoint
 * for (const letter of await queued.listDeadLetters()) console.log(letter.webhookId, letter.reason)
 * await queued.replayDeadLetter('evt_1042')
 * await queued.close()
 * ```
 */
export function createQueuedSender(options: QueuedSenderOptions): QueuedSender {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const connection = checkConnection(fail, options.connection)
  const queueName = checkQueueName(fail, options.queueName ?? DEFAULT_QUEUE_NAME)
  const enqueueTimeout = numberOption(fail, 'enqueueTimeout', options.enqueueTimeout, 5000, {
    integer: true,
  })
  const { onError, requireAppendOnly = true, prefix } = options
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix === '')) {
    fail('prefix must be a non-empty string')
  }
  checkClusterPrefix(fail, connection, prefix)
  if (onError !== undefined && typeof onError !== 'function') fail('onError must be a function')
  if (typeof requireAppendOnly !== 'boolean') fail('requireAppendOnly must be a boolean')
  const report = callListener(onError)

  const queue = new Queue<QueuedDeliveryData>(queueName, {
    connection,
    ...(prefix === undefined ? {} : { prefix }),
  })
  queue.on('error', report)
  const toKey = (type: string): string => queue.toKey(type)
  const keys = deadLetterKeys(toKey)
  // BullMQ types its connection loosely; it is an ioredis client.
  const commands = async () => (await queue.client) as unknown as DestinationCommands
  const stopDepthGauge = observeQueueDepth(queue, queueName, enqueueTimeout)
  let closed = false

  /** An operator's call: refused once closed, bounded by `enqueueTimeout`. */
  async function operate<T>(what: string, run: (redis: DestinationCommands) => Promise<T>) {
    open()
    return withQueueTimeout(commands().then(run), enqueueTimeout, what)
  }

  function open(): void {
    if (closed) throw new DeliveryQueueError('ERR_QUEUE_CLOSED', 'the queued sender is closed')
  }

  async function add(data: QueuedDeliveryData): Promise<void> {
    const jobId = jobIdOf(data.webhookId)
    if (data.orderingKey !== undefined) {
      // In line before the job exists, so that the job never runs ahead of its line.
      const line = orderingKeyOf(toKey, new URL(data.url).origin, data.orderingKey)
      await joinLine(await commands(), line, jobId)
    }
    await queue.add(DELIVERY_JOB_NAME, data, {
      jobId,
      // The worker makes one attempt per run and schedules the next as a delayed job itself.
      attempts: 1,
      removeOnComplete: true,
      removeOnFail: false,
    })
  }

  async function enqueue(data: QueuedDeliveryData): Promise<void> {
    await traceEnqueue(queueName, data, add)
  }

  let durability: Promise<void> | undefined

  /**
   * "Persisted before `send` resolves" holds across a Redis restart only with an append-only file.
   * Checked once; a check that could not reach Redis is tried again by the next `send`.
   */
  async function checkDurability(): Promise<void> {
    let answer: unknown
    try {
      // BullMQ types its connection loosely; it is an ioredis client.
      const client = (await queue.client) as unknown as ConfigCommand
      answer = await client.config('GET', 'appendonly')
    } catch (cause) {
      // A managed Redis may disable CONFIG or deny it to this user: warn, do not refuse.
      if (!isRedisReply(cause)) throw cause
      report(
        new DeliveryQueueError(
          'ERR_QUEUE_DURABILITY_UNKNOWN',
          'Redis refused CONFIG GET appendonly; make sure it keeps an append-only file',
          { cause },
        ),
      )
      return
    }
    if (Array.isArray(answer) && answer[1] === 'yes') return
    const error = new DeliveryQueueError(
      'ERR_QUEUE_NOT_DURABLE',
      'Redis keeps no append-only file (appendonly no): queued deliveries would not survive its restart',
    )
    report(error)
    if (requireAppendOnly) throw error
  }

  function durable(): Promise<void> {
    durability ??= checkDurability().catch((error: unknown) => {
      if (!(error instanceof DeliveryQueueError)) durability = undefined
      throw error
    })
    return durability
  }

  // At start-up, so that a Redis without persistence is reported before the first delivery.
  durable().catch(() => {})

  async function send(queued: QueuedDelivery): Promise<{ webhookId: string }> {
    open()
    const { delivery, extras } = splitQueued(queued)
    const data = { ...encodeDelivery(delivery), ...extras }
    const { webhookId } = data
    await withQueueTimeout(
      durable().then(() => enqueue(data)),
      enqueueTimeout,
      `webhook ${webhookId} was not queued`,
      webhookId,
    )
    return { webhookId }
  }

  async function replay(webhookId: string): Promise<boolean> {
    const client = await queue.client
    const letter = await getDeadLetter(client, keys, webhookId)
    if (letter === undefined) return false
    const existing = await queue.getJob(jobIdOf(webhookId))
    if (existing !== undefined) {
      const state = await existing.getState()
      // A finished job would make BullMQ ignore the new one with the same id.
      if (state === 'failed' || state === 'completed') await existing.remove()
    }
    const { delivery, extras } = splitQueued(letter.delivery)
    await enqueue({ ...encodeDelivery(delivery), ...extras })
    // Removed only once queued again: a crash in between leaves both, never neither.
    await removeDeadLetter(client, keys, webhookId)
    return true
  }

  function checkFilter(filter: ReplayFilter): {
    destination: string | undefined
    from?: number
    to?: number
  } {
    if (typeof filter !== 'object' || filter === null)
      throw new TypeError('filter must be an object')
    for (const name of ['from', 'to'] as const) {
      const value = filter[name]
      if (value !== undefined && !Number.isFinite(value)) {
        throw new TypeError(`${name} must be a time in ms since the epoch`)
      }
    }
    return {
      destination: filter.destination === undefined ? undefined : originOf(filter.destination),
      ...(filter.from === undefined ? {} : { from: filter.from }),
      ...(filter.to === undefined ? {} : { to: filter.to }),
    }
  }

  async function retryFailed(job: Job<QueuedDeliveryData>): Promise<void> {
    // A replay starts the schedule afresh; the attempts made stay in the record.
    await job.updateData({ ...job.data, attemptsCounted: 0 })
    await job.retry('failed')
  }

  async function replayFailed(webhookId: string): Promise<boolean> {
    const job = await queue.getJob(jobIdOf(webhookId))
    if (job === undefined || (await job.getState()) !== 'failed') return false
    await retryFailed(job)
    return true
  }

  async function inspect(webhookId: string): Promise<DeliveryRecord | undefined> {
    const job = await queue.getJob(jobIdOf(webhookId))
    if (job !== undefined) return jobRecord(job, await job.getState())
    const letter = await getDeadLetter(await queue.client, keys, webhookId)
    return letter === undefined ? undefined : letterRecord(letter)
  }

  /** Each Redis step of a bulk replay is bounded by `enqueueTimeout`, not the whole of it. */
  function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
    return withQueueTimeout(promise, enqueueTimeout, what)
  }

  async function replayLetters(filter: ReturnType<typeof checkFilter>): Promise<number> {
    const client = await bounded(queue.client, 'dead letters were not listed')
    const ids = await bounded(
      deadLetterIdsBetween(client, keys, filter.from, filter.to),
      'dead letters were not listed',
    )
    let replayed = 0
    for (const webhookId of ids) {
      const letter = await bounded(getDeadLetter(client, keys, webhookId), 'a letter was not read')
      if (
        letter === undefined ||
        !matches(letter.delivery.url, undefined, { destination: filter.destination })
      )
        continue
      if (await bounded(replay(webhookId), `dead letter ${webhookId} was not replayed`)) replayed++
    }
    return replayed
  }

  async function replayFailedMatching(filter: ReturnType<typeof checkFilter>): Promise<number> {
    const jobs = await bounded(failedJobsMatching(queue, filter), 'failed jobs were not listed')
    for (const job of jobs) await bounded(retryFailed(job), `failed job ${job.id} was not replayed`)
    return jobs.length
  }

  return Object.freeze({
    send,
    async getDelivery(webhookId: string) {
      open()
      return withQueueTimeout(inspect(webhookId), enqueueTimeout, 'the delivery was not read')
    },
    async listFailed({ offset = 0, limit = 100 } = {}) {
      open()
      numberOption(fail, 'offset', offset, 0, { integer: true, allowZero: true })
      numberOption(fail, 'limit', limit, 100, { integer: true })
      const jobs = withQueueTimeout(
        queue.getFailed(offset, offset + limit - 1),
        enqueueTimeout,
        'failed jobs were not listed',
      )
      return (await jobs).map((job) => jobRecord(job, 'failed'))
    },
    async replayFailed(webhookId: string) {
      open()
      return withQueueTimeout(
        replayFailed(webhookId),
        enqueueTimeout,
        `failed job ${webhookId} was not replayed`,
        webhookId,
      )
    },
    async replayDeadLetters(filter: ReplayFilter = {}) {
      open()
      return replayLetters(checkFilter(filter))
    },
    async replayFailedDeliveries(filter: ReplayFilter = {}) {
      open()
      return replayFailedMatching(checkFilter(filter))
    },
    async listDeadLetters({ offset = 0, limit = 100 } = {}) {
      open()
      numberOption(fail, 'offset', offset, 0, { integer: true, allowZero: true })
      numberOption(fail, 'limit', limit, 100, { integer: true })
      return withQueueTimeout(
        queue.client.then((client) => listDeadLetters(client, keys, offset, limit)),
        enqueueTimeout,
        'dead letters were not listed',
      )
    },
    async getDeadLetter(webhookId: string) {
      open()
      return withQueueTimeout(
        queue.client.then((client) => getDeadLetter(client, keys, webhookId)),
        enqueueTimeout,
        'the dead letter was not read',
        webhookId,
      )
    },
    async replayDeadLetter(webhookId: string) {
      open()
      return withQueueTimeout(
        replay(webhookId),
        enqueueTimeout,
        `dead letter ${webhookId} was not replayed`,
        webhookId,
      )
    },
    async deleteDeadLetter(webhookId: string) {
      open()
      return withQueueTimeout(
        queue.client.then((client) => removeDeadLetter(client, keys, webhookId)),
        enqueueTimeout,
        'the dead letter was not deleted',
        webhookId,
      )
    },
    async listDestinations() {
      return operate('destinations were not listed', (redis) => readDestinations(redis, toKey))
    },
    async getDestination(destination: string) {
      const origin = originOf(destination)
      return operate('the destination was not read', (redis) =>
        readDestination(redis, toKey, origin),
      )
    },
    async disableDestination(destination: string) {
      const origin = originOf(destination)
      return operate('the destination was not disabled', (redis) =>
        switchDestination(redis, toKey, origin, 'disable', Date.now()),
      )
    },
    async enableDestination(destination: string) {
      const origin = originOf(destination)
      return operate('the destination was not enabled', (redis) =>
        switchDestination(redis, toKey, origin, 'enable', Date.now()),
      )
    },
    async close() {
      if (closed) return
      closed = true
      stopDepthGauge()
      // quit() waits for a Redis that may be gone: past the timeout, drop the connection.
      await withQueueTimeout(queue.close(), enqueueTimeout, 'close').catch(async () => {
        await withQueueTimeout(queue.disconnect(), enqueueTimeout, 'close').catch(() => {})
      })
    },
  })
}
