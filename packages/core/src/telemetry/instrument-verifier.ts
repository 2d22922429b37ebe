import type { Attributes } from '@opentelemetry/api'
import { WebhookError } from '../errors/webhook-error.js'
import type { VerifiedWebhook, Verifier, WebhookRequest } from '../verify/types.js'
import { describeFailure } from './describe-failure.js'
import { loadOpenTelemetry, whenInstrumented } from './open-telemetry.js'
import type { Instruments } from './open-telemetry.js'

async function traced(
  { api, tracer, verifyDuration }: Instruments,
  verify: Verifier['verify'],
  request: WebhookRequest,
): Promise<VerifiedWebhook> {
  const started = performance.now()
  return tracer.startActiveSpan(
    'hookseal.verify',
    { kind: api.SpanKind.INTERNAL },
    async (span): Promise<VerifiedWebhook> => {
      let attributes: Attributes = {}
      try {
        const webhook = await verify(request)
        attributes = { 'hookseal.scheme': webhook.scheme, 'hookseal.outcome': 'verified' }
        span.setAttributes({ ...attributes, 'hookseal.sender': webhook.sender })
        return webhook
      } catch (error) {
        const code = describeFailure(error)
        attributes = {
          'hookseal.outcome': error instanceof WebhookError ? 'refused' : 'error',
          'error.type': code,
          ...(error instanceof WebhookError && { 'http.response.status_code': error.status }),
        }
        span.setAttributes(attributes)
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: code })
        throw error
      } finally {
        span.end()
        verifyDuration.record((performance.now() - started) / 1000, attributes)
      }
    },
  )
}

/**
 * Wraps a verifier so that each `verify` is a `hookseal.verify` span (scheme, sender, outcome,
 * error code) and a `hookseal.verify.duration` measurement, when `@opentelemetry/api` is installed.
 * Without it, a call costs one check more than the bare verifier.
 *
 * @example
 * ```ts
 * return instrumentVerifier({ verify: (request) => verifyToken(settings, request) })
 * ```
 */
export function instrumentVerifier(verifier: Verifier): Verifier {
  const { verify } = verifier
  void loadOpenTelemetry()
  return {
    verify(request) {
      return whenInstrumented(
        () => verify(request),
        (now) => traced(now, verify, request),
      )
    },
  }
}
