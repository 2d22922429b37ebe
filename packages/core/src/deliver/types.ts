import type { JsonWebKey, KeyObject } from 'node:crypto'
import type { Connections } from '../connections/types.js'
import type { CaCertificates } from '../lib/bounded-request.js'
import type { Signer } from '../sign/types.js'
import type { DeliveryAttemptError, DeliveryAttemptErrorCode } from './delivery-error.js'
import type { ResolveHost } from './guarded-lookup.js'

/** One webhook to deliver. */
export interface Delivery {
  /** The receiver's URL: `https:`, on an allowed host, resolving to a public address. */
  url: string | URL
  /** @default 'POST' */
  method?: 'POST' | 'PUT'
  /** The exact bytes to send and sign; a string is sent as UTF-8. */
  body: string | Uint8Array
  /**
   * Extra request headers. `content-type` defaults to `application/json`; `x-signature`,
   * `webhook-id`, `host`, `content-length`, `transfer-encoding` and `connection` are set by the
   * sender and refused here. The destination's `auth` headers win over these.
   */
  headers?: Readonly<Record<string, string>>
  /**
   * The event's id, sent as `Webhook-Id` on every attempt so that the receiver can de-duplicate: 1 to
   * 256 printable ASCII characters without spaces. Pass the same id again to re-send the same event.
   * @default a fresh random UUID
   */
  webhookId?: string
  /** The token's `aud`. @default the signer's default: `url` without query or fragment */
  audience?: string
  /**
   * The customer whose OAuth 2 connection authenticates this delivery (a bearer token from the
   * sender's `connections`); wins over the destination's `auth`.
   */
  connection?: string
}

/** The outcome of one HTTP request of a delivery. Plain data: safe to store as JSON. */
export interface DeliveryAttempt {
  /** 1 for the first request; every request counts, the repeat after a token refresh included. */
  readonly attempt: number
  /** When the attempt started, in ms since the epoch. */
  readonly startedAt: number
  /** How long it took, token and signing included, in ms. */
  readonly durationMs: number
  /** The receiver's status, when it answered. */
  readonly status?: number
  /** Why the attempt failed; absent on success. */
  readonly error?: { readonly code: DeliveryAttemptErrorCode; readonly message: string }
  /** The start of the response body (UTF-8), up to `maxResponseBytes`, when it answered. */
  readonly responseBody?: string
  /** True when the response body was longer than what was read. */
  readonly responseTruncated?: boolean
  /** The wait a retryable answer asked for with `Retry-After`, unclamped, in ms. */
  readonly retryAfterMs?: number
}

/** A delivered webhook. */
export interface DeliveryResult {
  readonly webhookId: string
  /** The receiver's 2xx status. */
  readonly status: number
  /** Every request made, in order; the last one succeeded. */
  readonly attempts: readonly DeliveryAttempt[]
  /** The start of the receiver's response body (UTF-8), up to `maxResponseBytes`. */
  readonly responseBody: string
  /** True when the response body was longer than what was read. */
  readonly responseTruncated: boolean
  /** From the call to the answer, retries included, in ms. */
  readonly durationMs: number
}

/**
 * Why a webhook was dead-lettered: an attempt failed in a way retrying cannot fix (a 4xx other than
 * 408, 425 and 429, a redirect, a refused address, a refused token request), or `maxAttempts` or
 * `maxElapsed` ran out.
 */
export type DeadLetterReason = 'permanent-failure' | 'attempts-exhausted' | 'time-exhausted'

/**
 * A webhook that could not be delivered, with everything needed to look into it and to send it
 * again: `sender.send(letter.delivery)` re-sends the same event (same `webhookId`).
 */
export interface DeadLetter {
  /** The delivery as asked for, with its `webhookId` and `method` filled in. Holds no credentials. */
  readonly delivery: Readonly<Delivery> & {
    readonly url: string
    readonly method: 'POST' | 'PUT'
    readonly headers: Readonly<Record<string, string>>
    readonly webhookId: string
  }
  readonly reason: DeadLetterReason
  /** Every request made, in order. */
  readonly attempts: readonly DeliveryAttempt[]
  /** The last attempt's error, its cause chained. */
  readonly error: DeliveryAttemptError
}

/** What a sender reports, e.g. for metrics and logs. */
export type DeliveryEvent =
  | {
      /** After each request, whatever its outcome. */
      type: 'delivery-attempt'
      url: string
      webhookId: string
      attempt: DeliveryAttempt
    }
  | {
      /** Before waiting for the next attempt. */
      type: 'delivery-retry'
      url: string
      webhookId: string
      /** The number the next attempt will have. */
      attempt: number
      delayMs: number
      error: DeliveryAttemptError
    }
  | {
      type: 'delivery-success'
      url: string
      webhookId: string
      status: number
      attempts: number
      durationMs: number
    }
  | {
      /** Before `onDeadLetter` is called. */
      type: 'delivery-dead-letter'
      url: string
      webhookId: string
      reason: DeadLetterReason
      attempts: number
      error: DeliveryAttemptError
    }

/** An OAuth2 client-credentials grant (RFC 6749 §4.4) whose token is sent as a bearer token. */
export interface ClientCredentialsOptions {
  /** The token endpoint: `https:`, or `http:` on loopback with `allowInsecureHttp`. */
  tokenUrl: string | URL
  clientId: string
  /** The client secret, for `client_secret_basic` and `client_secret_post`. */
  clientSecret?: string
  /** Space-separated scopes, sent as `scope`. */
  scope?: string
  /** Sent as `audience`, for authorization servers that want one (Auth0, for instance). */
  audience?: string
  /**
   * How the client authenticates: HTTP Basic, `client_id` and `client_secret` in the form body, or
   * a JWT assertion signed with `privateKey` (RFC 7523).
   * @default 'client_secret_basic'
   */
  authMethod?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'
  /**
   * The client's private key for `private_key_jwt`: PEM text, a private JWK, or a `KeyObject`. RSA
   * signs with RS256, P-256 with ES256, Ed25519 with Ed25519.
   */
  privateKey?: string | JsonWebKey | KeyObject
  /** The `kid` of the assertion's header. @default the JWK's `kid`, else none */
  kid?: string
  /**
   * The authorization server's issuer identifier, used as the `aud` of the `private_key_jwt`
   * assertion.
   * @default `tokenUrl`
   */
  issuer?: string
}

/**
 * OAuth 1.0a request signing (RFC 5849) of every attempt: a fresh nonce and timestamp each time,
 * the query's parameters signed, and the body's when it is `application/x-www-form-urlencoded`.
 */
export interface OAuth1AuthOptions {
  consumerKey: string
  consumerSecret: string
  /** The access token (`oauth_token`) and its secret, for 3-legged requests. */
  token?: string
  tokenSecret?: string
  /** @default 'HMAC-SHA1' */
  signatureMethod?: 'HMAC-SHA1' | 'HMAC-SHA256'
  /** Sent and signed as `oauth_callback`, for partners that want it on every request. */
  callback?: string
}

/**
 * A Standard Webhooks signer for one destination, used instead of the sender's JWT signer: `v1`
 * with a `whsec_` secret and/or `v1a` with an Ed25519 private key.
 */
export interface StandardWebhooksSignerOptions {
  /** A `whsec_` secret shared with the receiver. */
  secret?: string
  /** An Ed25519 private key: PEM text, a private JWK, or a `KeyObject`. */
  privateKey?: string | JsonWebKey | KeyObject
}

/** How attempts to one destination are signed, when not with the sender's JWT signer. */
export interface DestinationSigner {
  standardWebhooks: StandardWebhooksSignerOptions
}

/** How the sender authenticates to one destination, besides the signature. */
export interface DestinationAuth {
  /** Sent with every request to this destination, e.g. `{ 'ocp-apim-subscription-key': key }`. */
  headers?: Readonly<Record<string, string>>
  /** A bearer token from the destination's OAuth2 token endpoint, cached until shortly before expiry. */
  clientCredentials?: ClientCredentialsOptions
  /** OAuth 1.0a signing of every attempt, in the `Authorization` header. */
  oauth1?: OAuth1AuthOptions
  /**
   * Signs this destination's attempts the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
   * `webhook-signature`) instead of with an `X-Signature` JWT. The `webhook-id` is the delivery's
   * `webhookId`, the same on every retry; timestamp and signature are fresh on each attempt.
   */
  signer?: DestinationSigner
  /** The customer whose OAuth 2 connection (from the sender's `connections`) authenticates here. */
  connection?: string
}

/** How a sender keeps connections open between deliveries to the same origin. */
export interface KeepAliveOptions {
  /**
   * Connections open at once per origin; further deliveries to it wait for one, within their
   * `timeout`. @default 50
   */
  maxSockets?: number
  /** Idle connections kept per origin. @default 10 */
  maxIdleSockets?: number
  /** How long an idle connection is kept, in ms. @default 4000 */
  idleTimeout?: number
}

export interface SenderOptions {
  /** Signs each attempt; `createSigner({ issuer, keys })` makes one. */
  signer: Signer
  /**
   * Receives every webhook that could not be delivered, before `send` rejects. Store it somewhere
   * durable to re-send it later. When it throws or rejects, `send` still rejects with the letter, and
   * with what it threw as `deadLetterError`.
   */
  onDeadLetter: (letter: DeadLetter) => void | Promise<void>
  /** Receives attempt, retry, success and dead-letter events. Must not throw (throws are ignored). */
  onEvent?: (event: DeliveryEvent) => void
  /**
   * Hosts that may be delivered to: exact names (`hooks.partner.example`) or `*.suffix` patterns
   * (`*.partner.example`: any name below it, not the suffix itself); any port. A URL on another host
   * is refused with `ERR_DESTINATION_REFUSED` before anything is signed or sent.
   * @default every host (the SSRF guard still applies)
   */
  allowedHosts?: readonly string[]
  /**
   * Non-public destinations the SSRF guard lets through: IP addresses (`10.1.2.3`), CIDR ranges
   * (`10.1.0.0/16`, `fd00::/8`), or host names, which exempt whatever that name resolves to.
   * @default [] (only public addresses)
   */
  allowPrivateAddresses?: readonly string[]
  /**
   * Allows plain `http:` to loopback hosts (and token endpoints), for tests and local development.
   * The address must still be allow-listed in `allowPrivateAddresses`.
   * @default false
   */
  allowInsecureHttp?: boolean
  /**
   * Trusted CA certificates (PEM) for receivers and token endpoints, e.g. a private CA. As with
   * `node:tls`, they replace Node's default roots rather than add to them.
   */
  ca?: CaCertificates
  /**
   * Outbound authentication per destination, keyed by origin (`https://partner.example:8443`) or by
   * host name (`partner.example`, any port); an origin entry wins over a host entry.
   */
  auth?: Readonly<Record<string, DestinationAuth>>
  /**
   * Customer connections (`createConnections`) for deliveries with a `connection`, or destinations
   * whose `auth` names one.
   */
  connections?: Connections
  /** Time allowed for one request, connect to the end of the response, in ms. @default 10000 */
  timeout?: number
  /** Most attempts per delivery, the first included. @default 6 */
  maxAttempts?: number
  /** Ceiling of the first retry's random wait, doubled for each further retry, in ms. @default 1000 */
  backoff?: number
  /** Largest ceiling of a retry's random wait, in ms. @default 30000 */
  maxBackoff?: number
  /** Longest wait a `Retry-After` header can ask for; longer ones are cut to this, in ms. @default 60000 */
  maxRetryAfter?: number
  /**
   * Time budget of one delivery, retries and waits included, in ms; no attempt or wait runs past it.
   * @default 300000
   */
  maxElapsed?: number
  /** Most response body bytes read; the rest is never read. @default 65536 */
  maxResponseBytes?: number
  /**
   * Resolves host names to addresses, every one of which is checked before the socket may use it.
   * @default the system resolver (`dns.promises.lookup(name, { all: true })`)
   */
  resolve?: ResolveHost
  /**
   * Connections are kept open per origin and reused by later deliveries there, after a 2xx whose
   * body was read to its end; any other answer closes its connection. Every new connection's
   * addresses still pass the SSRF guard. `false` opens a connection per attempt.
   * @default { maxSockets: 50, maxIdleSockets: 10, idleTimeout: 4000 }
   */
  keepAlive?: KeepAliveOptions | false
}

/** Delivers signed webhooks. */
export interface Sender {
  /**
   * Delivers one webhook, retrying as configured. Resolves once a 2xx arrives. Rejects with a
   * `DeliveryError`: `ERR_DELIVERY_FAILED` after the webhook went to `onDeadLetter`, or
   * `ERR_DESTINATION_REFUSED` when the URL is not allowed (nothing sent, nothing dead-lettered).
   * Rejects with a `TypeError` for a malformed delivery.
   */
  send(delivery: Delivery): Promise<DeliveryResult>
  /**
   * Closes the sender's idle connections now, and those in use as their response ends. Deliveries
   * after it still work, on a connection each.
   */
  close(): Promise<void>
}
