/** What one signature covers: the exact body and where it is going. */
export interface SignWebhookRequest {
  /** The exact bytes that will be sent; a string is sent as UTF-8. */
  body: Uint8Array | string
  /** The receiver's URL; also the `htu` claim, without query or fragment. */
  url: string
  /** @default 'POST' */
  method?: 'POST' | 'PUT'
  /** The `aud` claim: the receiver's URL or id. @default `url` without query or fragment */
  audience?: string
  /**
   * The event's id, sent as `Webhook-Id`; it stays the same across retries of one event so that a
   * receiver can de-duplicate. @default a fresh random id
   */
  webhookId?: string
}

/** Headers that carry one signed webhook. */
export interface SignedWebhookHeaders {
  /** The JWT: `iss`, `aud`, `iat`, `exp`, a fresh `jti`, `request_body_sha256`, `htm`, `htu`. */
  'x-signature': string
  'webhook-id': string
}

/** Signs outgoing webhooks with a key set's active key. */
export interface Signer {
  /** The `iss` claim of every token. */
  readonly issuer: string
  /** Signs one attempt; call again for every retry, which gets a fresh `jti` and `iat`. */
  sign(request: SignWebhookRequest): Promise<SignedWebhookHeaders>
}
