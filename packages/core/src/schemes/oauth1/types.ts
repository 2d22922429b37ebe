/** The secrets of one OAuth 1.0a consumer, as a `consumers` lookup returns them. */
export interface OAuth1Consumer {
  /** The consumer secret. */
  secret: string
  /**
   * The token secret of the request's `oauth_token` (3-legged); leave it out when the request has
   * no token or the token is unknown (it is then refused).
   */
  tokenSecret?: string
}

/** One sender that signs its requests with OAuth 1.0a (RFC 5849), HMAC-SHA1 or HMAC-SHA256. */
export interface OAuth1SenderOptions {
  scheme: 'oauth1'
  /** This sender's name, reported as `webhook.sender`. */
  id: string
  /**
   * Finds a consumer's secrets by `oauth_consumer_key` (and the request's `oauth_token`, if any);
   * undefined or null for an unknown consumer. A rejection answers 503, so the sender retries.
   */
  consumers: (
    consumerKey: string,
    token: string | undefined,
  ) => OAuth1Consumer | undefined | null | Promise<OAuth1Consumer | undefined | null>
  /**
   * The scheme and host senders sign for, e.g. `https://api.example.com`, when it differs from the
   * request's own (behind a proxy) or the request URL is a path. Without it: the absolute request
   * URL, or `https://` and the `Host` header.
   */
  origin?: string
  /** Signature methods accepted; PLAINTEXT only with `allowPlaintext`. @default ['HMAC-SHA1', 'HMAC-SHA256'] */
  signatureMethods?: ReadonlyArray<'HMAC-SHA1' | 'HMAC-SHA256'>
  /**
   * Also accept `oauth_signature_method="PLAINTEXT"` (RFC 5849 §3.4.4) from this sender. Needs an
   * https `origin`, and a request whose URL says plain http is still refused.
   *
   * > [!NOTE]
   * > PLAINTEXT sends the consumer and token secrets themselves, and signs nothing: not the method,
   * > the URL, the parameters nor the body (`bodyDigestVerified` is false). Anyone who sees one
   * > request (a TLS-terminating proxy, a request log) can send any request as this consumer.
   * > Accept it only from a sender that can do nothing else, and rotate its secret if a log holds it.
   * @default false
   */
  allowPlaintext?: boolean
  /** Largest accepted difference between `oauth_timestamp` and now, either way, in seconds. @default 300 */
  tolerance?: number
  /** Refuse a nonce seen before from the same consumer at the same timestamp. @default true */
  replay?: boolean
}
