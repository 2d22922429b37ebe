import type { SignatureAlgorithm } from '../lib/algorithms.js'
import type { KeySetEvent, RemoteKeySetOptions } from '../jwks/types.js'
import type { ReplayStore } from '../replay/replay-store.js'
import type { StandardWebhooksSenderOptions } from '../schemes/standard-webhooks/types.js'
import type { OAuth1SenderOptions } from '../schemes/oauth1/types.js'
import type {
  KeyFunction,
  KeyFunctionCacheOptions,
} from '../schemes/jwt/create-key-function-set.js'

/**
 * Request headers in any of the shapes servers hand out: Node's `req.headers`, a Fetch `Headers`,
 * or Node's flat `req.rawHeaders` (`[name, value, name, value, …]`). Raw headers are the most
 * precise: Node folds or drops repeated headers in `req.headers`, and a repeated signature header
 * must be refused, not guessed at.
 */
export type HeadersInput =
  Readonly<Record<string, string | readonly string[] | undefined>> | Headers | readonly string[]

/** What the verifier needs from an incoming request. */
export interface WebhookRequest {
  /** HTTP method, compared with the `htm` claim when the token has one. */
  method: string
  /** Request URL, absolute or as a path (`/webhooks?x=1`), compared with `htu` when present. */
  url: string
  headers: HeadersInput
  /** The raw body bytes exactly as received; never a re-serialised object. */
  body: Uint8Array
}

/** Claims of a verified token: the registered ones typed, anything else the sender added kept. */
export interface WebhookClaims {
  /** The issuer; absent only from tokens of a sender configured with `issuer: null`. */
  iss: string
  /** The audience; absent only from tokens of a sender configured with `audience: null`. */
  aud: string | string[]
  /** Expiry; absent only from tokens of a sender configured with `requireExp: false`. */
  exp: number
  iat?: number
  nbf?: number
  jti?: string
  htm?: string
  htu?: string
  request_body_sha256?: string
  [claim: string]: unknown
}

/** The inbound schemes a verifier can be configured for. */
export type WebhookScheme = 'jwt' | 'standard-webhooks' | 'oauth1'

/** The signature algorithms a verified webhook can report, across schemes. */
export type WebhookAlgorithm =
  SignatureAlgorithm | 'HS256' | 'HMAC-SHA1' | 'HMAC-SHA256' | 'PLAINTEXT'

/**
 * A webhook whose signature, freshness and (for JWTs) claims and body binding all checked out.
 * Every scheme fills every field: for Standard Webhooks and OAuth 1.0a, `claims` states what the
 * signature proves in claim form (`iss` the sender, `iat` the signed timestamp, `jti` the webhook
 * or nonce id, `exp` the end of the acceptance window, `aud` empty), and the scheme's own details
 * are under `standardWebhooks` or `oauth1`.
 */
export interface VerifiedWebhook {
  /** How the request was signed. */
  scheme: WebhookScheme
  /** The configured sender that signed it: a JWT issuer, or the `id` of any other sender. */
  sender: string
  /** Same as `sender`: the configured issuer for JWTs, the sender's `id` otherwise. */
  issuer: string
  /** The key that verified it: the JWT `kid`, `v1/<n>` or `v1a/<n>` (Standard Webhooks), the consumer key. */
  kid: string
  /** `HS256` for Standard Webhooks v1, `EdDSA` for v1a, the `oauth_signature_method` for OAuth 1.0a. */
  alg: WebhookAlgorithm
  claims: WebhookClaims
  /** The id the replay store remembers: `jti` (or a hash), `webhook-id`, or the OAuth nonce. */
  id: string
  /** True when the signature covers the exact body bytes. */
  bodyDigestVerified: boolean
  /** Standard Webhooks only. */
  standardWebhooks?: { version: 'v1' | 'v1a'; timestamp: number }
  /** OAuth 1.0a only. */
  oauth1?: {
    consumerKey: string
    /** `oauth_token`, for requests made with a token (3-legged). */
    token?: string
    nonce: string
    timestamp: number
    /** Every `oauth_*` protocol parameter sent, decoded, but the signature. */
    params: Readonly<Record<string, string>>
  }
}

/** Settings for one sender. Defaults are strict; the README says what each relaxation costs. */
export interface IssuerOptions {
  /**
   * The `iss` value this sender puts in its tokens. `null` for a sender whose tokens name no issuer
   * (Plaid): it is then chosen by its own `signatureHeader`, and `id` names it.
   */
  issuer: string | null
  /** This sender's name when `issuer` is null; reported as `webhook.sender`. */
  id?: string
  /**
   * A header of this sender's own (e.g. `plaid-verification`): tokens found there are verified for
   * this sender alone. Required when `issuer` is null.
   */
  signatureHeader?: string
  /** Where this sender publishes its JWKS. Always from configuration, never from a token. */
  jwksUri?: string | URL
  /**
   * Instead of `jwksUri`: finds the sender's public JWK by `kid` (e.g. `createPlaidKeySource`).
   * Its keys get the same checks as JWKS keys and are cached within `keyCache`'s bounds.
   */
  keys?: KeyFunction
  /** Bounds of the cache in front of `keys`. */
  keyCache?: KeyFunctionCacheOptions
  /**
   * This receiver's URL or id; the token's `aud` must contain one of them. `null` for senders that
   * send no `aud`: a token meant for another receiver of the same sender is then accepted here.
   */
  audience: string | readonly string[] | null
  /** Algorithms accepted from this sender (`EdDSA` and `Ed25519` are one). @default ['RS256'] */
  algorithms?: readonly SignatureAlgorithm[]
  /**
   * `false` accepts tokens without `exp`, for senders that sign only `iat` (Plaid); needs a
   * `maxTokenAge`, which then alone bounds how long a token is accepted.
   * @default true
   */
  requireExp?: boolean
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. @default 30 */
  clockTolerance?: number
  /**
   * Oldest accepted token by `iat`, in seconds; `iat` is then required. `null` accepts long-lived
   * tokens, for senders that reuse one token for many webhooks.
   * @default 300
   */
  maxTokenAge?: number | null
  /**
   * `'required'`: the token must carry `request_body_sha256` and it must match the body.
   * `'optional'`: checked when present; an absent digest is reported as a `body-digest-absent`
   * event, and the token then proves who sent *a* webhook, not *this* body.
   * @default 'required'
   */
  bodyDigest?: 'required' | 'optional'
  /** Refuse a webhook seen before (by `jti`, else by signed token content + body). @default true */
  replay?: boolean
  /**
   * The `typ` header values accepted from this sender, compared case-insensitively and with or
   * without the `application/` prefix (RFC 7515, section 4.1.9): `'JWT'` accepts `JWT`, `jwt` and
   * `application/jwt`. A token without `typ`, or with another one, is refused with
   * `ERR_TOKEN_TYPE_MISMATCH`. `null` does not look at `typ`.
   *
   * > [!NOTE]
   * > Set it when the sender also issues other JWTs (access or ID tokens) for the same audience,
   * > above all with `bodyDigest: 'optional'`, where nothing else tells those from a webhook.
   * > hookseal's own signer sends `typ: 'JWT'`.
   * @default null
   */
  typ?: string | readonly string[] | null
  /** JWKS client settings for this sender. */
  jwks?: Omit<RemoteKeySetOptions, 'jwksUri' | 'onEvent' | 'allowInsecureHttp'>
}

/** A JWT sender in `senders`: the same settings as an entry of `issuers`. */
export interface JwtSenderOptions extends IssuerOptions {
  scheme: 'jwt'
}

/** One sender this receiver accepts, of any scheme. */
export type InboundSenderOptions =
  JwtSenderOptions | StandardWebhooksSenderOptions | OAuth1SenderOptions

/** What the verifier reports: key set events and webhooks accepted without a body digest. */
export type VerifierEvent = (KeySetEvent | { type: 'body-digest-absent' }) & { issuer: string }

export interface VerifierOptions {
  /**
   * JWT senders, as a shorthand for `senders` entries with `scheme: 'jwt'`. Tokens from any other
   * `iss` are refused.
   */
  issuers?: readonly IssuerOptions[]
  /**
   * The senders this receiver accepts, each with its scheme. The scheme of a request is read from
   * its headers; credentials of two schemes, or two of one, are refused as ambiguous.
   */
  senders?: readonly InboundSenderOptions[]
  /** Header that carries the token. @default 'x-signature' */
  signatureHeader?: string
  /** Also accept `Authorization: Bearer <JWT>` when the signature header is absent. @default false */
  acceptBearer?: boolean
  /** Longest token accepted, in characters, checked before any decoding. @default 8192 */
  maxTokenLength?: number
  /** Where seen webhook ids are kept. @default createMemoryReplayStore() */
  replayStore?: ReplayStore
  /**
   * Allows plain-http JWKS URLs on loopback hosts only (tests, local development).
   * @default false
   */
  allowInsecureHttp?: boolean
  /** Receives JWKS and verification events, e.g. for metrics. Must not throw. */
  onEvent?: (event: VerifierEvent) => void
}

export interface Verifier {
  /** Verifies one request; rejects with a {@link WebhookError} carrying a stable code and status. */
  verify(request: WebhookRequest): Promise<VerifiedWebhook>
}
