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
  /** Largest accepted difference between `webhook-timestamp` and now, either way, in seconds. @default 300 */
  tolerance?: number
  /** Refuse a `webhook-id` seen before from this sender. @default true */
  replay?: boolean
}
