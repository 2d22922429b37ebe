import type { RemoteKeySetOptions } from '../../jwks/types.js'

/** One sender that signs with Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). */
export interface StandardWebhooksSenderOptions {
  scheme: 'standard-webhooks'
  /** This sender's name, reported as `webhook.sender`. */
  id: string
  /**
   * `v1` secrets (HMAC-SHA256), `whsec_` followed by base64; several at once while rotating. The
   * prefix may be left out.
   */
  secrets?: readonly string[]
  /** `v1a` public keys (Ed25519), `whpk_` followed by the base64 raw key; several while rotating. */
  publicKeys?: readonly string[]
  /**
   * Where this sender publishes its `v1a` keys as a JWKS (OKP, Ed25519), instead of or beside
   * `publicKeys`. Fetched, cached and checked by the same JWKS client as JWT senders' keys; v1a
   * signatures name no key, so every Ed25519 key of the set is tried. Always from configuration.
   */
  jwksUri?: string | URL
  /** JWKS client settings for `jwksUri`. */
  jwks?: Omit<RemoteKeySetOptions, 'jwksUri' | 'onEvent' | 'allowInsecureHttp'>
  /** Largest accepted difference between `webhook-timestamp` and now, either way, in seconds. @default 300 */
  tolerance?: number
  /** Refuse a `webhook-id` seen before from this sender. @default true */
  replay?: boolean
}
