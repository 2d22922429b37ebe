import { observeGauge, traceQueueHop } from '@hookseal/core/http'
import type { Job, Queue } from 'bullmq'
import type { QueuedDeliveryData } from './queue-job.js'
import { withQueueTimeout } from './queue-timeout.js'

const SYSTEM = 'bullmq'

/** BullMQ's states of a job still to be delivered, as `hookseal.queue.state` reports them. */
const PENDING_STATES = ['waiting', 'delayed', 'prioritized', 'active', 'paused'] as const

/**
 * Stores a delivery as a `hookseal.queue.enqueue` span, with the trace context of the code that
 * enqueued it in the job's data, when `@opentelemetry/api` is installed.
 */
export function traceEnqueue(
  queueName: string,
  data: QueuedDeliveryData,
  add: (data: QueuedDeliveryData) => Promise<unknown>,
): Promise<unknown> {
  return traceQueueHop(
    { operation: 'enqueue', system: SYSTEM, queue: queueName, webhookId: data.webhookId },
    (trace) => add(trace === undefined ? data : { ...data, trace }),
  )
}

/** Runs one job as a `hookseal.queue.process` span that continues the trace stored with it. */
export function traceJob<T>(
  queueName: string,
  job: Job<QueuedDeliveryData>,
  process: () => Promise<T>,
): Promise<T> {
  const data = job.data as Partial<QueuedDeliveryData> | null
  return traceQueueHop(
    {
      operation: 'process',
      system: SYSTEM,
      queue: queueName,
      webhookId: typeof data?.webhookId === 'string' ? data.webhookId : '',
      ...(job.id === undefined ? {} : { jobId: job.id }),
      traceContext: isTraceContext(data?.trace) ? data.trace : undefined,
    },
    process,
  )
}

function isTraceContext(value: unknown): value is Readonly<Record<string, string>> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value).every((entry) => typeof entry === 'string')
  )
}

/**
 * Reports the queue's pending jobs by state as the `hookseal.queue.depth` gauge, read from Redis at
 * each metrics collection (within `timeout`); returns the function that stops it.
 */
export function observeQueueDepth(
  queue: Queue<QueuedDeliveryData>,
  queueName: string,
  timeout: number,
): () => void {
  return observeGauge(
    'hookseal.queue.depth',
    'Deliveries waiting in the queue or in progress, by BullMQ state',
    async () => {
      const counts = await withQueueTimeout(
        queue.getJobCounts(...PENDING_STATES),
        timeout,
        'the queue depth was not read',
      )
      return PENDING_STATES.map((state) => ({
        value: counts[state] ?? 0,
        attributes: { 'messaging.destination.name': queueName, 'hookseal.queue.state': state },
      }))
    },
  )
}
