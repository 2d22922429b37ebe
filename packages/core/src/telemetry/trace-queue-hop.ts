import { describeFailure } from './describe-failure.js'
import { whenInstrumented } from './open-telemetry.js'
import type { Instruments } from './open-telemetry.js'

/** One hop of a delivery through a queue: stored by a producer, or taken up by a worker. */
export interface QueueHop {
  /** `enqueue` on the producer's side, `process` in the worker. */
  readonly operation: 'enqueue' | 'process'
  /** The queue system, e.g. `'bullmq'`. */
  readonly system: string
  readonly queue: string
  readonly webhookId: string
  readonly jobId?: string
  /** For `process`: the trace context the producer stored with the job. */
  readonly traceContext?: Readonly<Record<string, string>> | undefined
}

/** Trace context as W3C `traceparent` and `tracestate` entries, plain JSON to store with a job. */
export type TraceContext = Readonly<Record<string, string>>

async function traced<T>(
  { api, tracer }: Instruments,
  hop: QueueHop,
  run: (traceContext: TraceContext | undefined) => Promise<T>,
): Promise<T> {
  const producing = hop.operation === 'enqueue'
  // The worker's span continues the trace of the code that enqueued the delivery.
  const parent = producing
    ? api.context.active()
    : api.propagation.extract(api.ROOT_CONTEXT, { ...hop.traceContext })
  return tracer.startActiveSpan(
    `hookseal.queue.${hop.operation}`,
    {
      kind: producing ? api.SpanKind.PRODUCER : api.SpanKind.CONSUMER,
      attributes: {
        'messaging.system': hop.system,
        'messaging.operation.type': producing ? 'send' : 'process',
        'messaging.destination.name': hop.queue,
        'hookseal.webhook.id': hop.webhookId,
        ...(hop.jobId !== undefined && { 'messaging.message.id': hop.jobId }),
      },
    },
    parent,
    async (span) => {
      try {
        if (!producing) return await run(undefined)
        const carrier: Record<string, string> = {}
        api.propagation.inject(api.context.active(), carrier)
        return await run(Object.keys(carrier).length === 0 ? undefined : carrier)
      } catch (error) {
        const code = describeFailure(error)
        span.setAttribute('error.type', code)
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: code })
        throw error
      } finally {
        span.end()
      }
    },
  )
}

/**
 * Runs one queue hop as a span, when `@opentelemetry/api` is installed: `hookseal.queue.enqueue`
 * (a producer span) hands `run` the trace context to store with the job, and
 * `hookseal.queue.process` (a consumer span) continues the trace that context names, so that a
 * delivery's attempts in a worker belong to the trace of the request that enqueued it. Without the
 * API, `run` gets `undefined` and nothing is recorded.
 *
 * @example
 * ```ts
 * await traceQueueHop({ operation: 'enqueue', system: 'bullmq', queue, webhookId }, (trace) =>
 *   queue.add('deliver', { ...data, ...(trace && { trace }) }),
 * )
 * ```
 */
export function traceQueueHop<T>(
  hop: QueueHop,
  run: (traceContext: TraceContext | undefined) => Promise<T>,
): Promise<T> {
  return whenInstrumented(
    () => run(undefined),
    (now) => traced(now, hop, run),
  )
}
