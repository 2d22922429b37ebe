import { callListener, failWith, numberOption } from '@hookseal/core/http'
import type { Fail } from '@hookseal/core/http'
import { createSender, DeliveryError } from '@hookseal/core/send'
import type { Delivery, SenderOptions } from '@hookseal/core/send'
import { UnrecoverableError, Worker } from 'bullmq'
import type { ConnectionOptions, Job } from 'bullmq'
import { deadLetterKeys, saveDeadLetter } from './dead-letter-store.js'
import { checkConnection, checkQueueName, DEFAULT_QUEUE_NAME, decodeDelivery } from './queue-job.js'
import type { QueuedDeliveryData } from './queue-job.js'
import { traceJob } from './queue-telemetry.js'

const fail: Fail = failWith('createDeliveryWorker')

/**
 * A worker's options: the queue, how BullMQ runs it, and core's sender options (signer, SSRF and
 * host policy, auth, timeouts, retries) but `onDeadLetter`: dead letters go to Redis.
 */
export interface DeliveryWorkerOptions extends Omit<SenderOptions, 'onDeadLetter'> {
  /** Where the queue lives: ioredis options or an ioredis client (`maxRetriesPerRequest: null`). */
  connection: ConnectionOptions
  /** @default 'hookseal-deliveries' */
  queueName?: string
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
  /** Receives worker and connection errors (otherwise ignored). */
  onError?: (error: Error) => void
}

/** A running delivery worker; made by `createDeliveryWorker`. */
export interface DeliveryWorker {
  /**
   * Stops taking jobs and waits for those in progress, then closes the connection. With `force`,
   * stops at once: jobs in progress go back to the queue once their lock expires.
   */
  close(force?: boolean): Promise<void>
}

/** What a finished job returns: a delivery, or a dead letter stored in Redis. */
export type DeliveryJobOutcome =
  | { readonly delivered: true; readonly status: number; readonly attempts: number }
  | { readonly delivered: false; readonly reason: string; readonly attempts: number }

/**
 * Starts a BullMQ worker that delivers the webhooks `createQueuedSender` enqueued.
 *
 * Each job goes through core's `createSender`: a fresh JWT for every attempt, the same `Webhook-Id`,
 * the same retry, SSRF, host and auth rules, retries within the job. A delivery that fails for good
 * is stored as a dead letter in Redis (see `listDeadLetters`, `replayDeadLetter`) and its job
 * completes. A job whose worker died (crash, SIGKILL, lost host) is taken up again by another worker
 * once its lock expires: delivery is at least once, and repeats carry the same `Webhook-Id`.
 * A destination the sender refuses, or data that is not a delivery, fails the job without a retry;
 * it stays in BullMQ's failed set.
 *
 * @param options The queue, the sender options and the worker's settings; checked here, once.
 * @throws TypeError when an option is invalid (core's sender options included).
 *
 * @example
 * ```ts
 * const worker = createDeliveryWorker({
 *   connection: { host: 'redis.internal', port: 6379 },
 *   signer: createSigner({ issuer: 'https://partner.example', keys }),
 *   allowedHosts: ['hooks.customer.example'],
 *   concurrency: 20,
 * })
 * process.once('SIGTERM', () => void worker.close())
 * ```
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const {
    connection: rawConnection,
    queueName: rawQueueName,
    concurrency: rawConcurrency,
    lockDuration: rawLockDuration,
    stalledInterval: rawStalledInterval,
    maxStalledCount: rawMaxStalledCount,
    onError,
    ...senderOptions
  } = options
  const connection = checkConnection(fail, rawConnection)
  const queueName = checkQueueName(fail, rawQueueName ?? DEFAULT_QUEUE_NAME)
  const whole = { integer: true }
  const concurrency = numberOption(fail, 'concurrency', rawConcurrency, 10, whole)
  const lockDuration = numberOption(fail, 'lockDuration', rawLockDuration, 30_000, whole)
  const stalledInterval = numberOption(fail, 'stalledInterval', rawStalledInterval, 30_000, whole)
  const maxStalledCount = numberOption(fail, 'maxStalledCount', rawMaxStalledCount, 3, whole)
  if (onError !== undefined && typeof onError !== 'function') fail('onError must be a function')

  // Validates the sender options now, before any job runs.
  const sender = createSender({
    ...senderOptions,
    async onDeadLetter(letter) {
      const client = await worker.client
      await saveDeadLetter(client, deadLetterKeys(worker.toKey.bind(worker)), letter)
    },
  })

  async function processJob(job: Job<QueuedDeliveryData>): Promise<DeliveryJobOutcome> {
    let delivery: Delivery
    try {
      delivery = decodeDelivery(job.data)
    } catch (error) {
      throw new UnrecoverableError(error instanceof Error ? error.message : String(error))
    }
    try {
      const result = await sender.send(delivery)
      return { delivered: true, status: result.status, attempts: result.attempts.length }
    } catch (error) {
      if (error instanceof DeliveryError && error.code === 'ERR_DELIVERY_FAILED') {
        // Not stored: fail the job, so that it stays in BullMQ's failed set rather than vanish.
        if (error.deadLetterError !== undefined) throw error
        return {
          delivered: false,
          reason: error.deadLetter?.reason ?? 'attempts-exhausted',
          attempts: error.attempts.length,
        }
      }
      if (error instanceof DeliveryError || error instanceof TypeError) {
        throw new UnrecoverableError(error.message)
      }
      throw error
    }
  }

  const tracedJob = (job: Job<QueuedDeliveryData>): Promise<DeliveryJobOutcome> =>
    traceJob(queueName, job, () => processJob(job))

  const worker = new Worker<QueuedDeliveryData, DeliveryJobOutcome>(queueName, tracedJob, {
    connection,
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount,
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
