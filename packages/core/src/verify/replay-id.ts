import { createHash } from '#runtime/crypto.js'

/**
 * The id a webhook is remembered by: its `jti`, or else a hash of the token's signed part (header
 * and payload) and the body. Senders without a `jti` may reuse one token for many webhooks, so the
 * body is part of the id: the same token with a new body is a new webhook, the same request sent
 * twice is a replay. The signature is left out because it does not identify the webhook: an ECDSA
 * signature (r, s) has a twin (r, n - s) that anyone can compute and that verifies as well.
 */
export function replayId(
  jti: string | undefined,
  signingInput: Uint8Array,
  body: Uint8Array,
): string {
  if (jti !== undefined) return jti
  return createHash('sha256').update(signingInput).update('\0').update(body).digest('base64url')
}
