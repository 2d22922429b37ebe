import { problemResponse } from '@hookseal/core/http'
import type { WebhookError } from '@hookseal/core'

/**
 * The `Response` for a refusal: RFC 9457 `application/problem+json` with the error's stable code and
 * headers (`Retry-After` on 503), byte for byte what every other hookseal adapter sends.
 *
 * @example
 * ```ts
 * try {
 *   const { webhook, body } = await verifyRequest(verifier, request)
 * } catch (error) {
 *   if (error instanceof WebhookError) return refusalResponse(error)
 *   throw error
 * }
 * ```
 */
export function refusalResponse(error: WebhookError): Response {
  const { status, headers, payload } = problemResponse(error)
  return new Response(payload, { status, headers })
}
