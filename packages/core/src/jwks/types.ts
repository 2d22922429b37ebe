import type { KeySetEntry } from '../keys/verification-key.js'
import type { JwksFetchError } from './jwks-fetch-error.js'

/** Things a key set reports so that an operator can see a JWKS endpoint misbehave. */
export type KeySetEvent =
  | { type: 'jwks-fetch'; jwksUri: string; keyCount: number; maxAgeMs: number; durationMs: number }
  | { type: 'jwks-fetch-failed'; jwksUri: string; error: JwksFetchError; retryInMs: number }
  | { type: 'jwks-stale'; jwksUri: string; staleForMs: number }
  | { type: 'jwks-cooldown'; jwksUri: string; kid: string }
  | { type: 'jwks-unknown-kid'; jwksUri: string; kid: string }

export interface RemoteKeySetOptions {
  /** The sender's JWKS URL. HTTPS unless `allowInsecureHttp` is set and the host is loopback. */
  jwksUri: string | URL
  /**
   * Allows a plain `http:` JWKS URL whose host is loopback (127.0.0.0/8, ::1, localhost), for tests
   * and local development. Any other host still throws.
   * @default false
   */
  allowInsecureHttp?: boolean
  /**
   * Trusted CA certificates (PEM) for the JWKS endpoint, e.g. a private CA. As with `node:tls`, they
   * replace Node's default roots for this endpoint rather than add to them.
   */
  ca?: string | Buffer | Array<string | Buffer>
  /** Time allowed for connect + response body, in ms. @default 5000 */
  timeout?: number
  /** Largest JWKS response accepted, in bytes, enforced while reading. @default 1048576 */
  maxResponseBytes?: number
  /** Most keys accepted in one JWKS. @default 100 */
  maxKeys?: number
  /**
   * Freshness when the response's `Cache-Control` names no lifetime (or an unreadable one), in ms.
   * @default 600000
   */
  cacheMaxAge?: number
  /**
   * Lower bound applied to `max-age`, in ms. `no-store`, `no-cache` and `max-age=0` get this bound,
   * so that a sender cannot turn every webhook into a fetch of its JWKS.
   * @default 60000
   */
  minCacheMaxAge?: number
  /** Upper bound applied to `max-age`, in ms. @default 86400000 */
  maxCacheMaxAge?: number
  /** After a refetch for an unknown kid, how long unknown kids are refused at once, in ms. @default 30000 */
  cooldown?: number
  /** First wait after a failed fetch, doubled on each further failure, in ms. @default 5000 */
  backoff?: number
  /** Longest wait between attempts after failures, in ms. @default 60000 */
  maxBackoff?: number
  /**
   * How long after expiry the last good keys keep verifying while fetches fail, in ms; 0 serves no
   * stale keys.
   * @default 3600000
   */
  staleWindow?: number
  /** Receives fetch, failure, stale, cooldown and unknown-kid events. Must not throw. */
  onEvent?: (event: KeySetEvent) => void
}

/** A sender's JWKS, fetched and cached; one per issuer. */
export interface RemoteKeySet {
  readonly jwksUri: string
  /**
   * The usable or unusable entry for `kid`. Rejects with `ERR_KEY_NOT_FOUND` (401) when the JWKS has
   * no such kid, `ERR_KEY_NOT_YET_FETCHED` (503) when the kid is absent but no fetch made since
   * `issuedAt` has looked for it (only while the cooldown forbids another fetch), and
   * `ERR_JWKS_UNAVAILABLE` (503) when no keys can be obtained.
   *
   * @param issuedAt The token's `iat`, in seconds, when it has one.
   */
  getKey(kid: string, issuedAt?: number): Promise<KeySetEntry>
  /**
   * Every entry of the set, for signatures that name no key (Standard Webhooks v1a). With
   * `missedAt` (epoch seconds of a signature no key verified), refetches once under the unknown-kid
   * cooldown and answers only the keys that are new. Rejects with `ERR_JWKS_UNAVAILABLE` (503) when
   * no keys can be obtained.
   */
  allKeys(missedAt?: number): Promise<readonly KeySetEntry[]>
  /** Fetches now (single flight with any fetch under way); rejects if that fetch fails. */
  refresh(): Promise<void>
}
