import type { SignatureAlgorithm } from '../lib/algorithms.js'
import type { KeySetEvent, RemoteKeySetOptions } from '../jwks/types.js'
import type { ReplayStore } from '../replay/replay-store.js'

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
  iss: string
  aud: string | string[]
  exp: number
  iat?: number
  nbf?: number
  jti?: string
  htm?: string
  htu?: string
  request_body_sha256?: string
  [claim: string]: unknown
}

/** A webhook whose signature, claims, body binding and freshness all checked out. */
export interface VerifiedWebhook {
  /** The sender, as configured (equal to the `iss` claim). */
  issuer: string
  kid: string
  alg: SignatureAlgorithm
  claims: WebhookClaims
  /** The `jti` claim, or a hash of the signed header and payload and the body when there is none. */
  id: string
  /** True when the body was checked against `request_body_sha256`. */
  bodyDigestVerified: boolean
}

/** Settings for one sender. Defaults are strict; the README says what each relaxation costs. */
export interface IssuerOptions {
  /** The `iss` value this sender puts in its tokens. */
  issuer: string
  /** Where this sender publishes its JWKS. Always from configuration, never from a token. */
  jwksUri: string | URL
  /** This receiver's URL or id; the token's `aud` must contain one of them. */
  audience: string | readonly string[]
  /** Algorithms accepted from this sender. @default ['RS256'] */
  algorithms?: readonly SignatureAlgorithm[]
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

/** What the verifier reports: key set events and webhooks accepted without a body digest. */
export type VerifierEvent = (KeySetEvent | { type: 'body-digest-absent' }) & { issuer: string }

export interface VerifierOptions {
  /** The senders this receiver accepts. Tokens from any other `iss` are refused. */
  issuers: readonly IssuerOptions[]
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
