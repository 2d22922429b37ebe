import { decodeJwt } from 'jose'
import * as oauth from 'oauth4webapi'
import { callListener } from '../lib/call-listener.js'
import { authorizationServerError } from './authorization-server-error.js'
import { ConnectionError } from './connection-error.js'
import { normalizeConnectionsOptions } from './normalize-connections-options.js'
import type {
  CompletedConnection,
  ConnectionEvent,
  Connections,
  ConnectionsOptions,
  ConnectionStatus,
  StoredConnection,
} from './types.js'

/** Customer ids travel in URLs and store keys: printable ASCII without spaces, bounded. */
const CUSTOMER = /^[\x21-\x7e]{1,256}$/
/** How often a process waiting for another's refresh looks at the store again, in ms. */
const LOCK_POLL_MS = 50

function checkCustomer(customer: unknown): asserts customer is string {
  if (typeof customer !== 'string' || !CUSTOMER.test(customer)) {
    throw new TypeError('customer must be 1 to 256 printable ASCII characters without spaces')
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function storeError(error: unknown, customer: string | undefined): ConnectionError {
  if (error instanceof ConnectionError) return error
  const why = error instanceof Error ? error.message : String(error)
  return new ConnectionError(
    'ERR_CONNECTION_STORE_UNAVAILABLE',
    `the connection store failed: ${why}`,
    {
      customer,
      cause: error,
    },
  )
}

/** The claims of the ID token, with those of a JWT access token over them (tenant, partner, …). */
function claimsOf(result: oauth.TokenEndpointResponse): Record<string, unknown> {
  const idToken = oauth.getValidatedIdTokenClaims(result) ?? {}
  let accessClaims: Record<string, unknown> = {}
  try {
    // Read, not verified: it came straight from the token endpoint over TLS, and is only reported.
    accessClaims = decodeJwt(result.access_token)
  } catch {
    // An opaque access token has no claims of its own.
  }
  return { ...idToken, ...accessClaims }
}

function statusOf(connection: StoredConnection): ConnectionStatus {
  const { customer, status, claims, scope, expiresAt, connectedAt, refreshedAt } = connection
  return { customer, status, claims, scope, expiresAt, connectedAt, refreshedAt }
}

/**
 * Creates OAuth 2 connections per customer (authorization code with PKCE, RFC 6749 and RFC 7636),
 * for partners whose every call needs a customer's token, authorised once by that customer's
 * super-user and refreshed afterwards with no user present.
 *
 * The protocol is oauth4webapi's, over hookseal's bounded HTTP: TLS 1.2 or newer, no redirects,
 * size and time caps, and the SSRF guard on every address. `begin` stores a single-use `state`
 * bound to the customer with the PKCE verifier (S256); `complete` takes that state (a replayed
 * callback finds none), checks `iss` (RFC 9207) when the server sends it, exchanges the code and
 * stores the tokens. `accessToken` refreshes ahead of expiry, once per customer however many
 * callers (and, through the store's lock, however many processes) ask, and stores a rotated
 * refresh token before the new access token is handed out. A refresh token the server refuses
 * (`invalid_grant`) marks the connection revoked and emits `connection-revoked`.
 *
 * > [!NOTE]
 * > Tokens and code verifiers are sealed with AES-256-GCM before they reach the store: a copy of
 * > the store without `encryptionKeys` holds no usable token. No error or event carries a token.
 *
 * @throws TypeError when an option is invalid (see {@link ConnectionsOptions}).
 *
 * @example
 * ```ts
 * const connections = createConnections({
 *   authorizationServer: 'https://login.partner.example',
 *   clientId: 'hookseal-sender',
 *   clientSecret: process.env.PARTNER_CLIENT_SECRET,
 *   redirectUri: 'https://sender.example/connections/callback',
 *   scope: 'openid offline_access',
 *   encryptionKeys: [{ id: '2026-03', key: process.env.CONNECTION_KEY! }],
 * })
 * const url = await connections.begin('acme') // send acme's super-user there
 * ```
 */
export function createConnections(options: ConnectionsOptions): Connections {
  const config = normalizeConnectionsOptions(options)
  const { store, seal, client, clientAuth } = config
  const emit = callListener<ConnectionEvent>(config.onEvent)
  const requestOptions = {
    [oauth.customFetch]: config.fetch,
    [oauth.allowInsecureRequests]: config.allowInsecureHttp,
  }
  // Long enough for one refresh to finish; a holder that died lets go when it runs out.
  const lockTtl = 2 * config.timeout + 5000

  let metadata: Promise<oauth.AuthorizationServer> | undefined
  const refreshing = new Map<string, Promise<string>>()

  async function discover(issuer: URL): Promise<oauth.AuthorizationServer> {
    let response: Response
    try {
      // RFC 8414 first; servers that publish only OpenID Connect discovery answer it with a 404.
      response = await oauth.discoveryRequest(issuer, { ...requestOptions, algorithm: 'oauth2' })
      if (response.status === 404) {
        response = await oauth.discoveryRequest(issuer, { ...requestOptions, algorithm: 'oidc' })
      }
      return await oauth.processDiscoveryResponse(issuer, response)
    } catch (error) {
      throw authorizationServerError(
        error,
        'ERR_AUTHORIZATION_SERVER_UNAVAILABLE',
        'authorization server discovery',
        undefined,
      )
    }
  }

  function server(): Promise<oauth.AuthorizationServer> {
    if (config.server.kind === 'given') return Promise.resolve(config.server.metadata)
    const { issuer } = config.server
    metadata ??= discover(issuer).catch((error: unknown) => {
      // A failed discovery is not kept: the next call tries again.
      metadata = undefined
      throw error
    })
    return metadata
  }

  async function stored(customer: string): Promise<StoredConnection> {
    let connection: StoredConnection | undefined
    try {
      connection = await store.get(customer)
    } catch (error) {
      throw storeError(error, customer)
    }
    if (connection === undefined) {
      throw new ConnectionError('ERR_CONNECTION_NOT_FOUND', `${customer} has no connection`, {
        customer,
      })
    }
    if (connection.status === 'revoked') {
      throw new ConnectionError(
        'ERR_CONNECTION_REVOKED',
        `${customer}'s connection was revoked by the authorization server; connect again`,
        { customer },
      )
    }
    return connection
  }

  async function save(connection: StoredConnection): Promise<void> {
    try {
      await store.put(connection)
    } catch (error) {
      throw storeError(error, connection.customer)
    }
  }

  function record(
    customer: string,
    result: oauth.TokenEndpointResponse,
    previous: StoredConnection | undefined,
  ): StoredConnection {
    const now = Date.now()
    const lifetime = result.expires_in === undefined ? undefined : result.expires_in * 1000
    const refreshToken = result.refresh_token
    return {
      customer,
      status: 'active',
      accessToken: seal.seal(result.access_token, `${customer}/access`),
      // A server that does not rotate sends no new refresh token: the old one stays good.
      refreshToken:
        refreshToken === undefined
          ? previous?.refreshToken
          : seal.seal(refreshToken, `${customer}/refresh`),
      expiresAt: lifetime === undefined ? undefined : now + lifetime,
      refreshAt:
        lifetime === undefined
          ? undefined
          : now + lifetime - Math.min(config.refreshAhead, lifetime / 2),
      scope: result.scope ?? previous?.scope,
      claims:
        previous === undefined ? claimsOf(result) : { ...previous.claims, ...claimsOf(result) },
      connectedAt: previous?.connectedAt ?? now,
      refreshedAt: previous === undefined ? undefined : now,
    }
  }

  function usable(connection: StoredConnection, rejected: string | undefined): string | undefined {
    const token = seal.open(connection.accessToken, `${connection.customer}/access`)
    if (rejected !== undefined) return token === rejected ? undefined : token
    return connection.refreshAt === undefined || Date.now() < connection.refreshAt
      ? token
      : undefined
  }

  async function revoke(connection: StoredConnection, error: ConnectionError): Promise<never> {
    await save({ ...connection, status: 'revoked', accessToken: '', refreshToken: undefined })
    emit({ type: 'connection-revoked', customer: connection.customer, error })
    throw error
  }

  async function refreshHeld(customer: string, rejected: string | undefined): Promise<string> {
    // Another process may have refreshed while this one waited for the lock.
    const current = await stored(customer)
    const ready = usable(current, rejected)
    if (ready !== undefined) return ready
    if (current.refreshToken === undefined) {
      return revoke(
        current,
        new ConnectionError(
          'ERR_CONNECTION_REVOKED',
          `${customer}'s access token expired and the server issued no refresh token; connect again`,
          { customer },
        ),
      )
    }
    const refreshToken = seal.open(current.refreshToken, `${customer}/refresh`)
    const as = await server()
    let result: oauth.TokenEndpointResponse
    try {
      const response = await oauth.refreshTokenGrantRequest(
        as,
        client,
        clientAuth,
        refreshToken,
        requestOptions,
      )
      result = await oauth.processRefreshTokenResponse(as, client, response)
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant') {
        return revoke(
          current,
          new ConnectionError(
            'ERR_CONNECTION_REVOKED',
            `the authorization server refused ${customer}'s refresh token (invalid_grant); connect again`,
            { customer },
          ),
        )
      }
      throw authorizationServerError(
        error,
        'ERR_AUTHORIZATION_SERVER_UNAVAILABLE',
        `refreshing ${customer}'s token`,
        customer,
      )
    }
    const next = record(customer, result, current)
    // Stored before it is used: a rotated refresh token that only lived in memory would be lost
    // with the process, and the old one is spent.
    await save(next)
    emit({
      type: 'connection-refreshed',
      customer,
      rotated: result.refresh_token !== undefined,
      expiresAt: next.expiresAt,
    })
    return result.access_token
  }

  async function refresh(customer: string, rejected: string | undefined): Promise<string> {
    const deadline = Date.now() + lockTtl
    for (;;) {
      let release: (() => Promise<void>) | undefined
      try {
        release = await store.lock(customer, lockTtl)
      } catch (error) {
        throw storeError(error, customer)
      }
      if (release !== undefined) {
        try {
          return await refreshHeld(customer, rejected)
        } finally {
          await release().catch(() => {
            // The lock runs out by itself.
          })
        }
      }
      if (Date.now() >= deadline) {
        throw new ConnectionError(
          'ERR_CONNECTION_BUSY',
          `another process has been refreshing ${customer}'s token for too long`,
          { customer },
        )
      }
      await sleep(LOCK_POLL_MS)
      const ready = usable(await stored(customer), rejected)
      if (ready !== undefined) return ready
    }
  }

  async function begin(customer: string): Promise<URL> {
    checkCustomer(customer)
    const as = await server()
    if (as.authorization_endpoint === undefined) {
      throw new ConnectionError(
        'ERR_AUTHORIZATION_SERVER_UNAVAILABLE',
        'the authorization server publishes no authorization_endpoint',
        { customer },
      )
    }
    const codeVerifier = oauth.generateRandomCodeVerifier()
    const state = oauth.generateRandomState()
    try {
      await store.saveAuthorization(state, {
        customer,
        codeVerifier: seal.seal(codeVerifier, `state/${state}`),
        expiresAt: Date.now() + config.stateTtl,
      })
    } catch (error) {
      throw storeError(error, customer)
    }
    const url = new URL(as.authorization_endpoint)
    for (const [name, value] of Object.entries(config.authorizationParameters)) {
      url.searchParams.set(name, value)
    }
    url.searchParams.set('response_type', 'code')
    url.searchParams.set('client_id', client.client_id)
    url.searchParams.set('redirect_uri', config.redirectUri)
    url.searchParams.set('scope', config.scope)
    url.searchParams.set('state', state)
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier))
    url.searchParams.set('code_challenge_method', 'S256')
    return url
  }

  async function complete(callbackUrl: string | URL): Promise<CompletedConnection> {
    const url = new URL(callbackUrl instanceof URL ? callbackUrl.href : callbackUrl)
    const params = url.searchParams
    const state = params.get('state')
    if (state === null || state === '') {
      throw new ConnectionError('ERR_CONNECTION_STATE_INVALID', 'the callback carries no state')
    }
    let pending
    try {
      pending = await store.takeAuthorization(state)
    } catch (error) {
      throw storeError(error, undefined)
    }
    if (pending === undefined) {
      throw new ConnectionError(
        'ERR_CONNECTION_STATE_INVALID',
        'the callback state is unknown, expired or already used; start the connection again',
      )
    }
    const { customer } = pending
    const codeVerifier = seal.open(pending.codeVerifier, `state/${state}`)
    const as = await server()
    let callback: URLSearchParams
    try {
      callback = oauth.validateAuthResponse(as, client, params, state)
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) {
        const code = /^[\x20-\x7e]{1,64}$/.test(error.error) ? error.error : 'error'
        throw new ConnectionError(
          'ERR_CONNECTION_DENIED',
          `the authorization server answered ${code} for ${customer}`,
          { customer },
        )
      }
      if (error instanceof oauth.OperationProcessingError && /"iss"/.test(error.message)) {
        throw new ConnectionError(
          'ERR_CONNECTION_ISSUER_MISMATCH',
          `the callback's iss is missing or not ${as.issuer}`,
          { customer },
        )
      }
      throw authorizationServerError(
        error,
        'ERR_CONNECTION_EXCHANGE_FAILED',
        'the callback',
        customer,
      )
    }
    if (!callback.has('code') || callback.get('code') === '') {
      throw new ConnectionError('ERR_CONNECTION_CODE_MISSING', 'the callback carries no code', {
        customer,
      })
    }
    let result: oauth.TokenEndpointResponse
    try {
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        clientAuth,
        callback,
        config.redirectUri,
        codeVerifier,
        requestOptions,
      )
      result = await oauth.processAuthorizationCodeResponse(as, client, response)
    } catch (error) {
      throw authorizationServerError(
        error,
        'ERR_CONNECTION_EXCHANGE_FAILED',
        `exchanging ${customer}'s code`,
        customer,
      )
    }
    const connection = record(customer, result, undefined)
    await save(connection)
    emit({ type: 'connection-connected', customer, claims: connection.claims })
    return {
      customer,
      claims: connection.claims,
      scope: connection.scope,
      expiresAt: connection.expiresAt,
    }
  }

  async function accessToken(
    customer: string,
    request: { rejected?: string } = {},
  ): Promise<string> {
    checkCustomer(customer)
    const { rejected } = request
    const ready = usable(await stored(customer), rejected)
    if (ready !== undefined) return ready
    let flight = refreshing.get(customer)
    if (flight === undefined) {
      flight = refresh(customer, rejected).finally(() => refreshing.delete(customer))
      refreshing.set(customer, flight)
    }
    return flight
  }

  async function status(customer: string): Promise<ConnectionStatus | undefined> {
    checkCustomer(customer)
    try {
      const connection = await store.get(customer)
      return connection === undefined ? undefined : statusOf(connection)
    } catch (error) {
      throw storeError(error, customer)
    }
  }

  async function disconnect(customer: string): Promise<void> {
    checkCustomer(customer)
    let connection: StoredConnection | undefined
    try {
      connection = await store.get(customer)
    } catch (error) {
      throw storeError(error, customer)
    }
    if (connection === undefined) return
    let revokedAtServer = false
    const as = connection.status === 'active' ? await server() : undefined
    if (as?.revocation_endpoint !== undefined) {
      // Revoking the refresh token ends the grant, its access tokens with it (RFC 7009 §2.1).
      const token =
        connection.refreshToken === undefined
          ? seal.open(connection.accessToken, `${customer}/access`)
          : seal.open(connection.refreshToken, `${customer}/refresh`)
      try {
        const response = await oauth.revocationRequest(
          as,
          client,
          clientAuth,
          token,
          requestOptions,
        )
        await oauth.processRevocationResponse(response)
      } catch (error) {
        throw authorizationServerError(
          error,
          'ERR_AUTHORIZATION_SERVER_UNAVAILABLE',
          `revoking ${customer}'s token`,
          customer,
        )
      }
      revokedAtServer = true
    }
    try {
      await store.delete(customer)
    } catch (error) {
      throw storeError(error, customer)
    }
    emit({ type: 'connection-disconnected', customer, revokedAtServer })
  }

  return Object.freeze({ begin, complete, accessToken, status, disconnect })
}
