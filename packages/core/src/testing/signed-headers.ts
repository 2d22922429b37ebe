import { createSigner } from '../sign/create-signer.js'
import type { SigningKeySet } from '../sign/key-set-types.js'
import type { SignedWebhookHeaders, SignWebhookRequest } from '../sign/types.js'

/** Options of {@link signedHeaders}: the keys and issuer, and what one request sends. */
export interface SignedHeadersOptions extends SignWebhookRequest {
  /** Keys from `createTestKeySet` (or `loadKeySet`); the active key signs. */
  keys: SigningKeySet
  /** The `iss` claim; configure the receiver's verifier with the same value. */
  issuer: string
  /** Seconds until the token expires. @default 300 */
  expiresIn?: number
}

/**
 * Signs one request as a hookseal sender would, for tests of a receiver: returns the `x-signature`
 * and `webhook-id` headers to send with exactly `body`, to `url`, with `method`. Every call has a
 * fresh `jti`, so a replay test sends the same headers twice.
 *
 * @example
 * ```ts
 * const headers = await signedHeaders({
 *   keys,
 *   issuer: 'https://sender.test',
 *   body: '{"type":"invoice.paid"}',
 *   url: 'https://receiver.test/webhooks',
 * })
 * // { 'x-signature': 'eyJ…', 'webhook-id': '0b7f…' }
 * ```
 */
export function signedHeaders(options: SignedHeadersOptions): Promise<SignedWebhookHeaders> {
  const { keys, issuer, expiresIn, ...request } = options
  return createSigner({ keys, issuer, ...(expiresIn === undefined ? {} : { expiresIn }) }).sign(
    request,
  )
}
