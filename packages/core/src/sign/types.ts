/** What one signature covers: the exact body and where it is going. */
export interface SignWebhookRequest {
  /** The exact bytes that will be sent; a string is sent as UTF-8. */
  body: Uint8Array | string
  /**
   * The receiver's absolute http(s) URL. The `htu` claim is this URL without query, fragment or
   * user info.
   */
  url: string
  /** The `htm` claim; the method the request is sent with. @default 'POST' */
  method?: 'POST' | 'PUT'
  /** The `aud` claim: the receiver's URL or id. @default `url` without query, fragment or user info */
  audience?: string
  /**
   * The event's id, sent as `Webhook-Id`; it stays the same across retries of one event so that a
   * receiver can de-duplicate. 1 to 256 printable ASCII characters, no spaces.
   * @default a fresh random UUID
   */
  webhookId?: string
}

/**
 * Headers that carry one signed webhook, lowercase as Node and Fetch send them. A type rather than
 * an interface so that it can be passed where a `Record<string, string>` is expected (Fetch's
 * `HeadersInit`, the verifier's `headers`).
 */
export type SignedWebhookHeaders = {
  /** The JWT: `iss`, `aud`, `iat`, `exp`, a fresh `jti`, `request_body_sha256`, `htm`, `htu`. */
  'x-signature': string
  /** The event's id: the request's `webhookId`, or a fresh one. */
  'webhook-id': string
}

/** Signs outgoing webhooks with a key set's active key; made by `createSigner`. */
export interface Signer {
  /** The `iss` claim of every token. */
  readonly issuer: string
  /**
   * Signs one attempt; call again for every retry, which gets a fresh `jti` and `iat`. Rejects with
   * a `TypeError` for a request that cannot be signed (a relative URL, a parsed body, …).
   */
  sign(request: SignWebhookRequest): Promise<SignedWebhookHeaders>
}
