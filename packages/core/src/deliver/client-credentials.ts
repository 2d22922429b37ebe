import type { KeyObject } from 'node:crypto'
import { importPKCS8 } from 'jose'
import * as oauth from 'oauth4webapi'
import { BoundedRequestError } from '../lib/bounded-request.js'
import type { SigningAlgorithm } from '../sign/key-set-types.js'
import { DeliveryAttemptError } from './delivery-error.js'
import type { GuardedFetch } from './guarded-fetch.js'
import { isRetryableStatus } from './retryable-status.js'

/** How the client proves who it is to the token endpoint, after validation. */
export type ClientAuthentication =
  | { readonly method: 'client_secret_basic' | 'client_secret_post'; readonly secret: string }
  | {
      readonly method: 'private_key_jwt'
      readonly key: KeyObject
      readonly algorithm: SigningAlgorithm
      readonly kid: string | undefined
    }

/** A client-credentials grant after validation. */
export interface ClientCredentialsGrant {
  readonly tokenUrl: URL
  /** The authorization server's issuer: the `aud` of a `private_key_jwt` assertion. */
  readonly issuer: string
  readonly clientId: string
  readonly scope: string | undefined
  readonly audience: string | undefined
  readonly authentication: ClientAuthentication
}

/** How token requests are made: through the sender's bounded, address-guarded HTTP. */
export interface TokenRequestSettings {
  readonly fetch: GuardedFetch
}

/** Bearer tokens for one destination, fetched once and shared until shortly before they expire. */
export interface TokenSource {
  /** A token that is not about to expire: the cached one, or one fetched now for every caller. */
  get(): Promise<string>
  /** Forgets `token` if it is still the cached one, so that the next `get` fetches a new one. */
  invalidate(token: string): void
}

/** Tokens are replaced this long before `expires_in` runs out, so none expires on its way. */
const REFRESH_SKEW_MS = 30_000
/** Lifetime assumed when the endpoint sends no `expires_in`; a receiver's 401 still ends it early. */
const DEFAULT_LIFETIME_MS = 300_000

/** Printable ASCII without spaces: anything else could not travel in an Authorization header. */
const BEARER_TOKEN = /^[\x21-\x7e]{1,8192}$/

interface CachedToken {
  readonly token: string
  readonly refreshAt: number
}

function unavailable(
  message: string,
  options: { retryable: boolean; status?: number; cause?: unknown },
): DeliveryAttemptError {
  return new DeliveryAttemptError('ERR_TOKEN_UNAVAILABLE', message, options)
}

/** The OAuth2 `error` code of a refusal, which names the problem without revealing anything. */
async function oauthErrorCode(response: Response): Promise<string> {
  try {
    const document: unknown = await response.json()
    const code = (document as { error?: unknown } | null)?.error
    return typeof code === 'string' && /^[\x20-\x7e]{1,64}$/.test(code) ? ` (${code})` : ''
  } catch {
    return ''
  }
}

function lifetimeMs(expiresIn: unknown): number | undefined {
  if (expiresIn === undefined) return DEFAULT_LIFETIME_MS
  return typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0
    ? expiresIn * 1000
    : undefined
}

/** The protocol's client authentication; a private key is imported for WebCrypto on first use. */
function clientAuth(authentication: ClientAuthentication): () => Promise<oauth.ClientAuth> {
  if (authentication.method !== 'private_key_jwt') {
    const auth =
      authentication.method === 'client_secret_basic'
        ? oauth.ClientSecretBasic(authentication.secret)
        : oauth.ClientSecretPost(authentication.secret)
    return () => Promise.resolve(auth)
  }
  const { key, algorithm, kid } = authentication
  let imported: Promise<oauth.ClientAuth> | undefined
  return () => {
    imported ??= importPKCS8(
      key.export({ format: 'pem', type: 'pkcs8' }).toString(),
      algorithm,
    ).then((cryptoKey) =>
      oauth.PrivateKeyJwt(kid === undefined ? cryptoKey : { key: cryptoKey, kid }),
    )
    return imported
  }
}

/** What the token endpoint's 200 response holds, as one of the sender's errors when it is unusable. */
async function readToken(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  response: Response,
  requestedAt: number,
): Promise<CachedToken> {
  let document: oauth.TokenEndpointResponse
  try {
    document = await oauth.processClientCredentialsResponse(as, client, response)
  } catch (cause) {
    // oauth4webapi names the unknown token type; everything else is a malformed response.
    const message =
      cause instanceof oauth.UnsupportedOperationError
        ? 'the token endpoint sent a token that is not a bearer token'
        : 'the token endpoint sent no usable access_token and expires_in'
    // The cause would carry the response body, and with it the token: it stays out of the error.
    throw unavailable(message, { retryable: false })
  }
  const { access_token: token, token_type: type } = document
  const lifetime = lifetimeMs(document.expires_in)
  if (!BEARER_TOKEN.test(token) || lifetime === undefined) {
    throw unavailable('the token endpoint sent no usable access_token and expires_in', {
      retryable: false,
    })
  }
  if (type !== 'bearer') {
    throw unavailable('the token endpoint sent a token that is not a bearer token', {
      retryable: false,
    })
  }
  // Short-lived tokens would otherwise be stale the moment they arrive.
  const skew = Math.min(REFRESH_SKEW_MS, lifetime / 2)
  return { token, refreshAt: requestedAt + lifetime - skew }
}

/**
 * Creates the token cache for one destination's OAuth2 client-credentials grant (RFC 6749 §4.4),
 * with the protocol done by `oauth4webapi` over the sender's guarded HTTP: the token is reused until
 * shortly before `expires_in` runs out (30 s, or half the lifetime for shorter-lived tokens), and
 * fetched once for any number of concurrent callers. A failed fetch is not cached: the next caller
 * tries again.
 *
 * @example
 * ```ts
 * const tokens = createTokenSource(grant, { fetch: createGuardedFetch({ timeout: 10_000 }) })
 * const token = await tokens.get()
 * ```
 */
export function createTokenSource(
  grant: ClientCredentialsGrant,
  settings: TokenRequestSettings,
): TokenSource {
  const as: oauth.AuthorizationServer = {
    issuer: grant.issuer,
    token_endpoint: grant.tokenUrl.href,
  }
  const client: oauth.Client = { client_id: grant.clientId }
  const authentication = clientAuth(grant.authentication)
  const options = {
    [oauth.customFetch]: settings.fetch,
    // The URL was checked at construction: plain http: only on loopback with allowInsecureHttp.
    [oauth.allowInsecureRequests]: grant.tokenUrl.protocol === 'http:',
  }
  const parameters = new URLSearchParams()
  if (grant.scope !== undefined) parameters.set('scope', grant.scope)
  if (grant.audience !== undefined) parameters.set('audience', grant.audience)

  let cached: CachedToken | undefined
  let flight: Promise<string> | undefined

  async function fetchToken(): Promise<string> {
    // Measured from the request, not the answer, so that a slow endpoint cannot stretch a lifetime.
    const requestedAt = Date.now()
    let response: Response
    try {
      response = await oauth.clientCredentialsGrantRequest(
        as,
        client,
        await authentication(),
        parameters,
        options,
      )
    } catch (error) {
      if (error instanceof DeliveryAttemptError) throw error
      const why = error instanceof Error ? error.message : String(error)
      // A response over the cap is not a token response; everything else may pass.
      const retryable = !(error instanceof BoundedRequestError && error.reason === 'too-large')
      throw unavailable(`the token endpoint gave no token: ${why}`, { retryable, cause: error })
    }
    const { status } = response
    if (status !== 200) {
      throw unavailable(
        `the token endpoint answered ${status}${await oauthErrorCode(response)}, not 200`,
        { retryable: isRetryableStatus(status), status },
      )
    }
    cached = await readToken(as, client, response, requestedAt)
    return cached.token
  }

  return {
    get() {
      if (cached !== undefined && Date.now() < cached.refreshAt)
        return Promise.resolve(cached.token)
      flight ??= fetchToken().finally(() => {
        flight = undefined
      })
      return flight
    },
    invalidate(token) {
      // Only the token that was refused: a newer one fetched meanwhile by another delivery stays.
      if (cached?.token === token) cached = undefined
    },
  }
}
