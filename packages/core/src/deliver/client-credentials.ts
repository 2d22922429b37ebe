import type { LookupFunction } from 'node:net'
import { BoundedRequestError, boundedRequest } from '../lib/bounded-request.js'
import type { BoundedResponse, CaCertificates } from '../lib/bounded-request.js'
import { DeliveryAttemptError } from './delivery-error.js'
import { isRetryableStatus } from './retryable-status.js'

/** A client-credentials grant after validation. */
export interface ClientCredentialsGrant {
  readonly tokenUrl: URL
  readonly clientId: string
  readonly clientSecret: string
  readonly scope: string | undefined
  readonly audience: string | undefined
  readonly authMethod: 'client_secret_basic' | 'client_secret_post'
}

/** How token requests are made: the sender's timeout, trust and address guard. */
export interface TokenRequestSettings {
  readonly timeout: number
  readonly ca: CaCertificates | undefined
  readonly lookup: LookupFunction
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
/** Token responses are small; anything larger is not one. */
const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024

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

/** RFC 6749 §2.3.1: client id and secret are form-encoded before they are joined for Basic. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2)
}

function requestBody(grant: ClientCredentialsGrant): string {
  const form = new URLSearchParams({ grant_type: 'client_credentials' })
  if (grant.scope !== undefined) form.set('scope', grant.scope)
  if (grant.audience !== undefined) form.set('audience', grant.audience)
  if (grant.authMethod === 'client_secret_post') {
    form.set('client_id', grant.clientId)
    form.set('client_secret', grant.clientSecret)
  }
  return form.toString()
}

function requestHeaders(grant: ClientCredentialsGrant): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }
  if (grant.authMethod === 'client_secret_basic') {
    const credentials = `${formEncode(grant.clientId)}:${formEncode(grant.clientSecret)}`
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`
  }
  return headers
}

function parseJson(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'))
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** The OAuth2 `error` code of a refusal, which names the problem without revealing anything. */
function oauthErrorCode(body: Buffer): string {
  const code = parseJson(body)?.error
  return typeof code === 'string' && /^[\x20-\x7e]{1,64}$/.test(code) ? ` (${code})` : ''
}

function lifetimeMs(expiresIn: unknown): number | undefined {
  if (expiresIn === undefined) return DEFAULT_LIFETIME_MS
  // Some endpoints send the number as a string.
  const seconds =
    typeof expiresIn === 'string' && /^\d+$/.test(expiresIn) ? Number(expiresIn) : expiresIn
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0
    ? seconds * 1000
    : undefined
}

function readToken(response: BoundedResponse, requestedAt: number): CachedToken {
  const { status, body } = response
  if (status !== 200) {
    throw unavailable(`the token endpoint answered ${status}${oauthErrorCode(body)}, not 200`, {
      retryable: isRetryableStatus(status),
      status,
    })
  }
  const document = parseJson(body)
  const token = document?.access_token
  const type = document?.token_type
  const lifetime = lifetimeMs(document?.expires_in)
  if (typeof token !== 'string' || !BEARER_TOKEN.test(token) || lifetime === undefined) {
    throw unavailable('the token endpoint sent no usable access_token and expires_in', {
      retryable: false,
    })
  }
  if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) {
    throw unavailable('the token endpoint sent a token that is not a bearer token', {
      retryable: false,
    })
  }
  // Short-lived tokens would otherwise be stale the moment they arrive.
  const skew = Math.min(REFRESH_SKEW_MS, lifetime / 2)
  return { token, refreshAt: requestedAt + lifetime - skew }
}

/**
 * Creates the token cache for one destination's OAuth2 client-credentials grant: the token is
 * fetched with a form POST (`grant_type=client_credentials`), reused until shortly before
 * `expires_in` runs out (30 s, or half the lifetime for shorter-lived tokens), and fetched once for
 * any number of concurrent callers. A failed fetch is not cached: the next caller tries again.
 *
 * @example
 * ```ts
 * const tokens = createTokenSource(grant, { timeout: 10_000, ca: undefined, lookup })
 * const token = await tokens.get()
 * ```
 */
export function createTokenSource(
  grant: ClientCredentialsGrant,
  settings: TokenRequestSettings,
): TokenSource {
  let cached: CachedToken | undefined
  let flight: Promise<string> | undefined

  async function fetchToken(): Promise<string> {
    // Measured from the request, not the answer, so that a slow endpoint cannot stretch a lifetime.
    const requestedAt = Date.now()
    let response: BoundedResponse
    try {
      response = await boundedRequest(grant.tokenUrl, {
        method: 'POST',
        headers: requestHeaders(grant),
        body: Buffer.from(requestBody(grant)),
        timeout: settings.timeout,
        maxResponseBytes: MAX_TOKEN_RESPONSE_BYTES,
        overflow: 'fail',
        lookup: settings.lookup,
        ...(settings.ca === undefined ? {} : { ca: settings.ca }),
      })
    } catch (error) {
      if (error instanceof DeliveryAttemptError) throw error
      const why = error instanceof Error ? error.message : String(error)
      // A response over the cap is not a token response; everything else may pass.
      const retryable = !(error instanceof BoundedRequestError && error.reason === 'too-large')
      throw unavailable(`the token endpoint gave no token: ${why}`, { retryable, cause: error })
    }
    cached = readToken(response, requestedAt)
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
