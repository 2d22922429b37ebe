import { createHash } from 'node:crypto'

/**
 * The id a webhook is remembered by: its `jti`, or else a hash of token and body. Senders without a
 * `jti` may reuse one token for many webhooks, so the body is part of the id: the same token with a
 * new body is a new webhook, the same request sent twice is a replay.
 */
export function replayId(jti: string | undefined, token: string, body: Uint8Array): string {
  if (jti !== undefined) return jti
  return createHash('sha256').update(token).update('\0').update(body).digest('base64url')
}
