import type { VerifiedWebhook, Verifier } from '@hookseal/core'
import { createWebhookRoute } from '@hookseal/core/http'
import { readRequestBody } from './read-request-body.js'
import { webhookRequest } from './webhook-request.js'

/** Limits of {@link verifyRequest}. */
export interface VerifyRequestOptions {
  /** Largest body accepted, in bytes; a larger one is refused with 413. @default 1048576 */
  limit?: number
  /** Milliseconds the whole body may take to arrive; a slower one is refused with 408. @default 30000 */
  bodyTimeout?: number
}

/** A verified request: who sent it, and the exact bytes that were verified. */
export interface VerifiedRequest {
  webhook: VerifiedWebhook
  /** The raw body, exactly as received and verified. */
  body: Uint8Array
}

/**
 * Reads a `Request`'s body within the limits and verifies it: resolves to the verified webhook and
 * the exact body bytes, or rejects with a `WebhookError` (turn it into the standard answer with
 * {@link refusalResponse}). The body stream is consumed: parse the bytes this returns.
 *
 * @param verifier The verifier from `createVerifier`.
 * @param request The incoming request, unread.
 * @param options `limit` and `bodyTimeout`; checked on each call, throwing `TypeError`.
 * @example
 * ```ts
 * const { webhook, body } = await verifyRequest(verifier, request)
 * const event = JSON.parse(new TextDecoder().decode(body))
 * ```
 */
export async function verifyRequest(
  verifier: Verifier,
  request: Request,
  options: VerifyRequestOptions = {},
): Promise<VerifiedRequest> {
  const { limit, bodyTimeout } = createWebhookRoute({ verifier, ...options })
  const body = await readRequestBody(request, limit, bodyTimeout)
  const webhook = await verifier.verify(webhookRequest(request, body))
  return { webhook, body }
}
