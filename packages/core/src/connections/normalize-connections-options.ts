import * as oauth from 'oauth4webapi'
import { failWith } from '../lib/fail-with.js'
import type { Fail } from '../lib/fail-with.js'
import { MAX_TIMER_MS, numberOption } from '../lib/number-option.js'
import { parseSecureUrl } from '../lib/parse-secure-url.js'
import { createGuardedFetch } from '../deliver/guarded-fetch.js'
import type { GuardedFetch } from '../deliver/guarded-fetch.js'
import { createMemoryConnectionStore } from './create-memory-connection-store.js'
import { createTokenSeal } from './seal-token.js'
import type { TokenSeal } from './seal-token.js'
import type { ConnectionEvent, ConnectionsOptions, ConnectionStore } from './types.js'

const fail: Fail = failWith('createConnections')

/** Where the authorization server's metadata comes from. */
export type ServerSource =
  | { readonly kind: 'discover'; readonly issuer: URL }
  | { readonly kind: 'given'; readonly metadata: oauth.AuthorizationServer }

/** `createConnections` options after validation, defaults filled in. */
export interface NormalizedConnectionsOptions {
  readonly server: ServerSource
  readonly client: oauth.Client
  readonly clientAuth: oauth.ClientAuth
  readonly redirectUri: string
  readonly scope: string
  readonly authorizationParameters: Readonly<Record<string, string>>
  readonly seal: TokenSeal
  readonly store: ConnectionStore
  readonly onEvent: ((event: ConnectionEvent) => void) | undefined
  readonly refreshAhead: number
  readonly stateTtl: number
  readonly timeout: number
  readonly allowInsecureHttp: boolean
  readonly fetch: GuardedFetch
}

function requiredString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') fail(`${name} must be a non-empty string`)
  return value
}

function secureUrl(name: string, value: unknown, allowInsecureHttp: boolean): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) fail(`${name} must be a URL`)
  return parseSecureUrl(value, `createConnections: ${name}`, allowInsecureHttp)
}

function serverSource(value: unknown, allowInsecureHttp: boolean): ServerSource {
  if (typeof value === 'string' || value instanceof URL) {
    return { kind: 'discover', issuer: secureUrl('authorizationServer', value, allowInsecureHttp) }
  }
  if (typeof value !== 'object' || value === null) {
    fail('authorizationServer must be an issuer URL or an object of endpoints')
  }
  const given = value as Record<string, unknown>
  const endpoint = (name: string): string =>
    secureUrl(`authorizationServer.${name}`, given[name], allowInsecureHttp).href
  const metadata: oauth.AuthorizationServer = {
    issuer: requiredString('authorizationServer.issuer', given.issuer),
    authorization_endpoint: endpoint('authorizationEndpoint'),
    token_endpoint: endpoint('tokenEndpoint'),
    ...(given.revocationEndpoint === undefined
      ? {}
      : { revocation_endpoint: endpoint('revocationEndpoint') }),
    authorization_response_iss_parameter_supported: given.issParameterSupported === true,
  }
  return { kind: 'given', metadata }
}

function clientAuthOf(options: ConnectionsOptions): oauth.ClientAuth {
  const { clientAuth, clientSecret } = options
  if (clientAuth !== undefined && clientSecret !== undefined) {
    fail('give clientSecret or clientAuth, not both')
  }
  if (clientAuth === undefined) {
    return clientSecret === undefined
      ? oauth.None()
      : oauth.ClientSecretBasic(requiredString('clientSecret', clientSecret))
  }
  if (typeof clientAuth !== 'object' || clientAuth === null) fail('clientAuth must be an object')
  switch (clientAuth.method) {
    case 'none':
      return oauth.None()
    case 'client_secret_basic':
      return oauth.ClientSecretBasic(
        requiredString('clientAuth.clientSecret', clientAuth.clientSecret),
      )
    case 'client_secret_post':
      return oauth.ClientSecretPost(
        requiredString('clientAuth.clientSecret', clientAuth.clientSecret),
      )
    default:
      return fail("clientAuth.method must be 'client_secret_basic', 'client_secret_post' or 'none'")
  }
}

function parameters(value: unknown): Readonly<Record<string, string>> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null) fail('authorizationParameters must be an object')
  const reserved = new Set([
    'client_id',
    'redirect_uri',
    'response_type',
    'scope',
    'state',
    'code_challenge',
    'code_challenge_method',
  ])
  const result: Record<string, string> = {}
  for (const [name, entry] of Object.entries(value)) {
    // These carry the protections themselves; letting a caller replace them would undo them.
    if (reserved.has(name)) fail(`authorizationParameters must not set ${name}`)
    result[name] = requiredString(`authorizationParameters.${name}`, entry)
  }
  return result
}

/**
 * Validates `createConnections` options once, so that misuse throws at start-up.
 *
 * @throws TypeError for a missing client id, redirect URI or scope, a URL that is not HTTPS (or
 *   loopback http with `allowInsecureHttp`), bad encryption keys, or a bad number.
 *
 * @example
 * ```ts
 * const config = normalizeConnectionsOptions(options)
 * config.stateTtl // 600000
 * ```
 */
export function normalizeConnectionsOptions(
  options: ConnectionsOptions,
): NormalizedConnectionsOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  if (options.allowInsecureHttp !== undefined && typeof options.allowInsecureHttp !== 'boolean') {
    fail('allowInsecureHttp must be a boolean')
  }
  const allowInsecureHttp = options.allowInsecureHttp === true
  const { store = createMemoryConnectionStore(), onEvent } = options
  if (onEvent !== undefined && typeof onEvent !== 'function') fail('onEvent must be a function')
  const storeMethods = ['saveAuthorization', 'takeAuthorization', 'get', 'put', 'delete', 'lock']
  if (
    typeof store !== 'object' ||
    store === null ||
    storeMethods.some(
      (name) => typeof (store as unknown as Record<string, unknown>)[name] !== 'function',
    )
  ) {
    fail(`store must be a ConnectionStore (${storeMethods.join(', ')})`)
  }
  const timeout = numberOption(fail, 'timeout', options.timeout, 10_000, { max: MAX_TIMER_MS })

  return {
    server: serverSource(options.authorizationServer, allowInsecureHttp),
    client: { client_id: requiredString('clientId', options.clientId) },
    clientAuth: clientAuthOf(options),
    // The browser, not hookseal, follows the redirect: a loopback http: callback is what native
    // apps and command-line tools use (RFC 8252 §7.3), and is never connected to from here.
    redirectUri: secureUrl('redirectUri', options.redirectUri, true).href,
    scope: requiredString('scope', options.scope),
    authorizationParameters: parameters(options.authorizationParameters),
    seal: createTokenSeal(options.encryptionKeys),
    store,
    onEvent,
    refreshAhead: numberOption(fail, 'refreshAhead', options.refreshAhead, 60_000, {
      allowZero: true,
    }),
    stateTtl: numberOption(fail, 'stateTtl', options.stateTtl, 600_000),
    timeout,
    allowInsecureHttp,
    // Built here, with its address policy, so that a bad entry fails at start-up.
    fetch: createGuardedFetch({
      timeout,
      allowInsecureHttp,
      ...(options.allowPrivateAddresses === undefined
        ? {}
        : { allowPrivateAddresses: options.allowPrivateAddresses }),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.resolve === undefined ? {} : { resolve: options.resolve }),
    }),
  }
}
