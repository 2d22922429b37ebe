import type { Attributes } from '@opentelemetry/api'
import type { AttemptOutcome, AttemptTarget } from '../deliver/perform-attempt.js'
import { DeliveryError } from '../deliver/delivery-error.js'
import type { Delivery, DeliveryResult } from '../deliver/types.js'
import { describeFailure } from './describe-failure.js'
import { whenInstrumented } from './open-telemetry.js'
import type { Instruments } from './open-telemetry.js'

/** Where a delivery goes, as telemetry may show it: the origin, never a path, query or userinfo. */
function originOf(url: unknown): string | undefined {
  const href = url instanceof URL ? url.href : url
  return typeof href === 'string' && URL.canParse(href) ? new URL(href).origin : undefined
}

function deliveryOutcome(error: unknown): Attributes {
  if (!(error instanceof DeliveryError)) {
    return { 'hookseal.outcome': 'error', 'error.type': describeFailure(error) }
  }
  if (error.code === 'ERR_DESTINATION_REFUSED') {
    return { 'hookseal.outcome': 'refused', 'error.type': error.code }
  }
  return {
    'hookseal.outcome': 'dead-lettered',
    'error.type': describeFailure(error.cause),
    ...(error.deadLetter && { 'hookseal.dead_letter.reason': error.deadLetter.reason }),
  }
}

async function tracedSend(
  { api, tracer, outcomes }: Instruments,
  send: (delivery: Delivery) => Promise<DeliveryResult>,
  delivery: Delivery,
): Promise<DeliveryResult> {
  const origin = originOf(delivery?.url)
  return tracer.startActiveSpan(
    'hookseal.delivery',
    {
      kind: api.SpanKind.INTERNAL,
      attributes: origin === undefined ? {} : { 'hookseal.destination.origin': origin },
    },
    async (span): Promise<DeliveryResult> => {
      try {
        const result = await send(delivery)
        const attributes = { 'hookseal.outcome': 'delivered' }
        span.setAttributes({
          ...attributes,
          'hookseal.webhook.id': result.webhookId,
          'hookseal.delivery.attempts': result.attempts.length,
          'http.response.status_code': result.status,
        })
        outcomes.add(1, attributes)
        return result
      } catch (error) {
        const attributes = deliveryOutcome(error)
        span.setAttributes(attributes)
        if (error instanceof DeliveryError) {
          span.setAttribute('hookseal.delivery.attempts', error.attempts.length)
          if (error.webhookId !== undefined)
            span.setAttribute('hookseal.webhook.id', error.webhookId)
        }
        span.setStatus({
          code: api.SpanStatusCode.ERROR,
          message: String(attributes['error.type']),
        })
        outcomes.add(1, attributes)
        throw error
      } finally {
        span.end()
      }
    },
  )
}

/**
 * Wraps a sender's `send` so that each delivery is a `hookseal.delivery` span, parent of its
 * attempts, and counts in `hookseal.delivery.outcomes`, when `@opentelemetry/api` is installed.
 *
 * @example
 * ```ts
 * return Object.freeze({ send: instrumentSend(send), close })
 * ```
 */
export function instrumentSend(
  send: (delivery: Delivery) => Promise<DeliveryResult>,
): (delivery: Delivery) => Promise<DeliveryResult> {
  return (delivery) =>
    whenInstrumented(
      () => send(delivery),
      (now) => tracedSend(now, send, delivery),
    )
}

async function tracedAttempt(
  { api, tracer, attempts, attemptDuration }: Instruments,
  target: AttemptTarget,
  attempt: number,
  run: () => Promise<AttemptOutcome>,
): Promise<AttemptOutcome> {
  const { url, delivery } = target
  return tracer.startActiveSpan(
    'hookseal.delivery.attempt',
    {
      kind: api.SpanKind.CLIENT,
      attributes: {
        'hookseal.destination.origin': url.origin,
        'server.address': url.hostname,
        'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        'http.request.method': delivery.method,
        'hookseal.webhook.id': delivery.webhookId,
        'hookseal.delivery.attempt': attempt,
      },
    },
    async (span): Promise<AttemptOutcome> => {
      const outcome = await run()
      const { record, error } = outcome
      const attributes: Attributes = {
        'hookseal.outcome': error === undefined ? 'delivered' : 'failed',
        ...(record.status !== undefined && { 'http.response.status_code': record.status }),
        ...(error !== undefined && { 'error.type': error.code }),
      }
      span.setAttributes(attributes)
      if (error !== undefined) {
        span.setAttribute('hookseal.retryable', error.retryable)
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: error.code })
      }
      span.end()
      attempts.add(1, attributes)
      attemptDuration.record(record.durationMs / 1000, {
        'hookseal.outcome': attributes['hookseal.outcome'],
      })
      return outcome
    },
  )
}

/**
 * Runs one attempt as a `hookseal.delivery.attempt` span (destination origin, attempt number,
 * status, outcome), counted in `hookseal.delivery.attempts` and timed in
 * `hookseal.delivery.attempt.duration`, when `@opentelemetry/api` is installed.
 *
 * @example
 * ```ts
 * const outcome = await traceAttempt(target, 1, () => performAttempt(config, target, 1, timeout))
 * ```
 */
export function traceAttempt(
  target: AttemptTarget,
  attempt: number,
  run: () => Promise<AttemptOutcome>,
): Promise<AttemptOutcome> {
  return whenInstrumented(run, (now) => tracedAttempt(now, target, attempt, run))
}
