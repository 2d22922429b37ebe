import type { CaCertificates } from '../lib/bounded-request.js'
import type { ResolveHost } from '../deliver/guarded-lookup.js'
import type { ConnectionError } from './connection-error.js'
import type { ConnectionEncryptionKey } from './seal-token.js'

/**
 * An authorization started by `begin` and not yet completed. `codeVerifier` is sealed; the store
 * forgets the record at `expiresAt`.
 */
export interface PendingAuthorization {
  readonly customer: string
  readonly codeVerifier: string
  /** In ms since the epoch. */
  readonly expiresAt: number
}

/** One customer's connection as stored. The tokens are sealed (AES-256-GCM); the rest is not secret. */
export interface StoredConnection {
  readonly customer: string
  /** `revoked` once the authorization server refused the refresh token; the tokens are gone then. */
  readonly status: 'active' | 'revoked'
  /** The sealed access token; empty once revoked. */
  readonly accessToken: string
  /** The sealed refresh token, if the server issued one. */
  readonly refreshToken: string | undefined
  /** When the access token expires, in ms since the epoch, if the server said. */
  readonly expiresAt: number | undefined
  /** When a refresh is due (ahead of `expiresAt`), in ms since the epoch. */
  readonly refreshAt: number | undefined
  readonly scope: string | undefined
  /** The claims of the ID token and of a JWT access token: tenant, partner, subject, … */
  readonly claims: Readonly<Record<string, unknown>>
  readonly connectedAt: number
  readonly refreshedAt: number | undefined
}

/**
 * Where connections and pending authorizations live. Memory by default (one process);
 * `createRedisConnectionStore` from `@hookseal/redis` shares them between processes. Every method
 * may reject; the connection then fails with `ERR_CONNECTION_STORE_UNAVAILABLE`.
 */
export interface ConnectionStore {
  /** Keeps a pending authorization under its `state` until `pending.expiresAt`. */
  saveAuthorization(state: string, pending: PendingAuthorization): Promise<void>
  /** Returns and deletes, atomically, the pending authorization of `state`: a state works once. */
  takeAuthorization(state: string): Promise<PendingAuthorization | undefined>
  get(customer: string): Promise<StoredConnection | undefined>
  put(connection: StoredConnection): Promise<void>
  delete(customer: string): Promise<void>
  /**
   * Takes the customer's refresh lock for at most `ttlMs`, so that only one process at a time
   * spends the refresh token. Resolves with the release function, or `undefined` when another
   * holder has it.
   */
  lock(customer: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>
}

/** The authorization server's endpoints, when it publishes no metadata to discover. */
export interface AuthorizationServerEndpoints {
  /** The issuer identifier, compared with the callback's `iss` when the server sends one. */
  issuer: string
  authorizationEndpoint: string
  tokenEndpoint: string
  /** RFC 7009; without it `disconnect` only forgets the tokens. */
  revocationEndpoint?: string
  /** Whether the server sends `iss` on its redirects (RFC 9207); then it is required. */
  issParameterSupported?: boolean
}

/** How the client authenticates at the token endpoint. */
export type ConnectionClientAuth =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientSecret: string }
  | { method: 'none' }

/** What a connection reports; none carries a token. */
export type ConnectionEvent =
  | { type: 'connection-connected'; customer: string; claims: Readonly<Record<string, unknown>> }
  | {
      type: 'connection-refreshed'
      customer: string
      /** Whether the server sent a new refresh token (stored before the access token was used). */
      rotated: boolean
      expiresAt: number | undefined
    }
  | { type: 'connection-revoked'; customer: string; error: ConnectionError }
  | { type: 'connection-disconnected'; customer: string; revokedAtServer: boolean }

export interface ConnectionsOptions {
  /**
   * The authorization server: its issuer URL, whose metadata is discovered (RFC 8414, falling back
   * to OpenID Connect discovery), or its endpoints.
   */
  authorizationServer: string | URL | AuthorizationServerEndpoints
  clientId: string
  /** Shorthand for `clientAuth: { method: 'client_secret_basic', clientSecret }`. */
  clientSecret?: string
  /** @default client_secret_basic with `clientSecret`, else `none` (a public client) */
  clientAuth?: ConnectionClientAuth
  /** The callback URL registered with the authorization server: `https:`, or `http:` on loopback. */
  redirectUri: string | URL
  /** Space-separated scopes asked for, e.g. `'openid offline_access'`. */
  scope: string
  /** Extra authorization request parameters, e.g. `{ prompt: 'consent', audience: '…' }`. */
  authorizationParameters?: Readonly<Record<string, string>>
  /**
   * AES-256-GCM keys that seal tokens at rest. The first seals; every one opens, so a new key goes
   * first and an old one stays listed until nothing sealed with it is left.
   */
  encryptionKeys: readonly ConnectionEncryptionKey[]
  /** @default a memory store (one process; lost on restart) */
  store?: ConnectionStore
  onEvent?: (event: ConnectionEvent) => void
  /** How long before expiry an access token is refreshed, in ms (at most half its lifetime). @default 60000 */
  refreshAhead?: number
  /** How long a `begin` stays good for, in ms. @default 600000 (10 minutes) */
  stateTtl?: number
  /** Time allowed for each request to the authorization server, in ms. @default 10000 */
  timeout?: number
  /** As for `createSender`: loopback `http:` for tests and development. @default false */
  allowInsecureHttp?: boolean
  /** As for `createSender`: non-public addresses the SSRF guard lets through. @default [] */
  allowPrivateAddresses?: readonly string[]
  /** Trusted CA certificates (PEM) for the authorization server, replacing Node's defaults. */
  ca?: CaCertificates
  /** @default the system resolver */
  resolve?: ResolveHost
}

/** What `complete` returns. */
export interface CompletedConnection {
  readonly customer: string
  readonly claims: Readonly<Record<string, unknown>>
  readonly scope: string | undefined
  readonly expiresAt: number | undefined
}

/** A customer's connection as `status` reports it, without tokens. */
export interface ConnectionStatus {
  readonly customer: string
  readonly status: 'active' | 'revoked'
  readonly claims: Readonly<Record<string, unknown>>
  readonly scope: string | undefined
  readonly expiresAt: number | undefined
  readonly connectedAt: number
  readonly refreshedAt: number | undefined
}

/** OAuth 2 authorization-code + PKCE connections, one per customer. */
export interface Connections {
  /**
   * Starts a connection: the URL to send the customer's super-user to (S256 challenge, single-use
   * `state` bound to `customer`, good for `stateTtl`).
   */
  begin(customer: string): Promise<URL>
  /** Finishes a connection from the full callback URL the browser arrived at. */
  complete(callbackUrl: string | URL): Promise<CompletedConnection>
  /**
   * A valid access token for the customer, refreshed ahead of expiry. `rejected`: a token a
   * resource server just refused with 401; a new one is fetched unless another caller already did.
   */
  accessToken(customer: string, options?: { rejected?: string }): Promise<string>
  /** The stored connection without its tokens, or `undefined`. */
  status(customer: string): Promise<ConnectionStatus | undefined>
  /** Revokes the refresh token (RFC 7009) where the server supports it and forgets the connection. */
  disconnect(customer: string): Promise<void>
}
