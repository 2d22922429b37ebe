import type { WebhookRequest } from '@hookseal/core'

/**
 * What core verifies, from a `Request` and its body bytes. The URL is the path and query, as the
 * Node adapters pass it: a proxy in front of the runtime changes the host a handler sees, not the
 * path the sender signed.
 */
export function webhookRequest(request: Request, body: Uint8Array): WebhookRequest {
  const url = new URL(request.url)
  return {
    method: request.method,
    url: `${url.pathname}${url.search}`,
    headers: request.headers,
    body,
  }
}
