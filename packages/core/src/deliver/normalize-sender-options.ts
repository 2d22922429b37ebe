import type { LookupFunction } from 'node:net'
import type { Connections } from '../connections/types.js'
import type { CaCertificates } from '../lib/bounded-request.js'
import { parseSecureUrl } from '../lib/parse-secure-url.js'
import type { Signer } from '../sign/types.js'
import { createAddressPolicy } from './address-policy.js'
import type { AddressPolicy } from './address-policy.js'
import { canonicalHost } from './canonical-host.js'
import type { AttemptHeaders } from './attempt-request.js'
import { clientAuthentication } from './client-authentication.js'
import { createTokenSource } from './client-credentials.js'
import type { TokenSource } from './client-credentials.js'
import { createGuardedFetch } from './guarded-fetch.js'
import type { GuardedFetch } from './guarded-fetch.js'
import { guardedLookup, systemResolve } from './guarded-lookup.js'
import { createHostAllowList } from './host-allow-list.js'
import type { HostAllowList } from './host-allow-list.js'
import { normalizeHeaders } from './normalize-headers.js'
import { oauth1Authorizer } from './oauth1-authorizer.js'
import { standardWebhooksSigner } from './standard-webhooks-signer.js'
import { MAX_TIMER_MS, numberOption } from '../lib/number-option.js'
import { failWith } from '../lib/fail-with.js'
import type { Fail } from '../lib/fail-with.js'
import type {
  ClientCredentialsOptions,
  DeadLetter,
  DeliveryEvent,
  DestinationAuth,
  SenderOptions,
} from './types.js'

const fail: Fail = failWith('createSender')

/** One destination's authentication, ready to use. */
export interface ResolvedAuth {
  readonly headers: Readonly<Record<string, string>>
  readonly tokens: TokenSource | undefined
  /** Headers computed afresh for every attempt, e.g. an OAuth 1.0a `Authorization`. */
  readonly authorize?: AttemptHeaders | undefined
  /** Signs this destination's attempts instead of the sender's signer. */
  readonly sign?: AttemptHeaders | undefined
  /** The customer whose connection authenticates this destination. */
  readonly connection?: string | undefined
}

/** Options after validation, with every default filled in. */
export interface NormalizedSenderOptions {
  readonly signer: Signer
  readonly onDeadLetter: (letter: DeadLetter) => void | Promise<void>
  readonly onEvent: ((event: DeliveryEvent) => void) | undefined
  readonly hostAllowed: HostAllowList
  readonly addressPolicy: AddressPolicy
  readonly allowInsecureHttp: boolean
  readonly ca: CaCertificates | undefined
  /** The address-checking lookup for a URL's scheme: plain http must stay on loopback. */
  readonly lookupFor: (url: URL) => LookupFunction
  readonly authFor: (url: URL) => ResolvedAuth | undefined
  readonly connections: Connections | undefined
  readonly timeout: number
  readonly maxAttempts: number
  readonly backoff: number
  readonly maxBackoff: number
  readonly maxRetryAfter: number
  readonly maxElapsed: number
  readonly maxResponseBytes: number
}

function isCertificate(value: unknown): boolean {
  return typeof value === 'string' || Buffer.isBuffer(value)
}

function optionalFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    fail(`${name} must be a function`)
  }
}

function requiredString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    fail(`${name} must be a non-empty string`)
  }
  return value
}

function optionalString(name: string, value: unknown): string | undefined {
  return value === undefined ? undefined : requiredString(name, value)
}

function isBareOrigin(url: URL): boolean {
  const { protocol, username, password, pathname, search, hash } = url
  const web = protocol === 'https:' || protocol === 'http:'
  return web && username === '' && password === '' && pathname === '/' && !search && !hash
}

/** An origin (`https://partner.example:8443`) or a host name, as `authFor` looks them up. */
function authKey(key: string): string {
  let normalized: string | undefined
  if (!key.includes('://')) {
    normalized = canonicalHost(key)
  } else if (URL.canParse(key) && isBareOrigin(new URL(key))) {
    normalized = new URL(key).origin
  }
  if (normalized === undefined) {
    fail(`auth key ${JSON.stringify(key)} must be an origin or a host name`)
  }
  return normalized
}

/**
 * Refuses, at construction, a configured URL whose host is an IP literal the SSRF guard would
 * refuse anyway: Node connects to a literal without a lookup, so this is where it is checked.
 */
function checkLiteralHost(url: URL, name: string, policy: AddressPolicy): void {
  const refusal = policy.literalRefusal(url.hostname)
  if (refusal !== undefined) {
    fail(`${name} is a ${refusal} address; allow it with allowPrivateAddresses`)
  }
}

interface AuthContext {
  readonly allowInsecureHttp: boolean
  readonly policy: AddressPolicy
  /** OAuth requests go through this: the sender's timeout, trust and address guard. */
  readonly fetch: GuardedFetch
  readonly connections: Connections | undefined
}

function destinationConnection(
  where: string,
  value: DestinationAuth,
  context: AuthContext,
): string | undefined {
  const { connection } = value
  if (connection === undefined) return undefined
  requiredString(`${where}.connection`, connection)
  if (value.clientCredentials !== undefined) {
    fail(`${where} must not have both clientCredentials and connection`)
  }
  if (context.connections === undefined) fail(`${where}.connection needs the connections option`)
  return connection
}

function clientCredentials(
  where: string,
  grant: ClientCredentialsOptions,
  context: AuthContext,
): TokenSource {
  if (typeof grant !== 'object' || grant === null) {
    fail(`${where}.clientCredentials must be an object`)
  }
  const tokenUrl = parseSecureUrl(
    grant.tokenUrl,
    `${where}.clientCredentials.tokenUrl`,
    context.allowInsecureHttp,
  )
  checkLiteralHost(tokenUrl, `${where}.clientCredentials.tokenUrl`, context.policy)
  return createTokenSource(
    {
      tokenUrl,
      issuer: optionalString(`${where}.clientCredentials.issuer`, grant.issuer) ?? tokenUrl.href,
      clientId: requiredString(`${where}.clientCredentials.clientId`, grant.clientId),
      scope: optionalString(`${where}.clientCredentials.scope`, grant.scope),
      audience: optionalString(`${where}.clientCredentials.audience`, grant.audience),
      authentication: clientAuthentication(where, grant, fail),
    },
    { fetch: context.fetch },
  )
}

function destinationAuth(
  auth: unknown,
  context: AuthContext,
): (url: URL) => ResolvedAuth | undefined {
  if (auth === undefined) return () => undefined
  if (typeof auth !== 'object' || auth === null || Array.isArray(auth)) {
    fail('auth must be an object keyed by origin or host name')
  }
  const entries = new Map<string, ResolvedAuth>()
  for (const [key, value] of Object.entries(auth as Record<string, DestinationAuth>)) {
    const where = `auth[${JSON.stringify(key)}]`
    if (typeof value !== 'object' || value === null) {
      fail(`${where} must be an object`)
    }
    const normalized = authKey(key)
    if (entries.has(normalized)) fail(`${where} names a destination twice`)
    const { clientCredentials: grant, oauth1, signer } = value
    if (grant !== undefined && oauth1 !== undefined) {
      fail(`${where} gives clientCredentials and oauth1: both would set the Authorization header`)
    }
    const connection = destinationConnection(where, value, context)
    if (connection !== undefined && oauth1 !== undefined) {
      fail(`${where} gives connection and oauth1: both would set the Authorization header`)
    }
    // The bearer token is the grant's; a static authorization header beside it would be overwritten.
    const refused =
      grant === undefined && oauth1 === undefined && connection === undefined
        ? []
        : ['authorization']
    entries.set(normalized, {
      headers: normalizeHeaders(value.headers, `${where}.headers`, refused),
      tokens: grant === undefined ? undefined : clientCredentials(where, grant, context),
      authorize:
        oauth1 === undefined ? undefined : oauth1Authorizer(`${where}.oauth1`, oauth1, fail),
      sign:
        signer === undefined ? undefined : standardWebhooksSigner(`${where}.signer`, signer, fail),
      ...(connection === undefined ? {} : { connection }),
    })
  }
  return (url) => entries.get(url.origin) ?? entries.get(url.hostname)
}

/**
 * Validates a sender's options once and fills in the defaults, so that misuse throws at start-up and
 * no delivery pays for the checks.
 *
 * @throws TypeError for a missing `signer` or `onDeadLetter`, a number out of range, `backoff` above
 *   `maxBackoff`, a malformed host or address entry, an `auth` entry with a bad key, header or grant,
 *   or a token URL that is not HTTPS (or loopback http with `allowInsecureHttp`).
 *
 * @example
 * ```ts
 * const options = normalizeSenderOptions({ signer, onDeadLetter: (letter) => queue.push(letter) })
 * options.maxAttempts // 6
 * ```
 */
export function normalizeSenderOptions(options: SenderOptions): NormalizedSenderOptions {
  if (typeof options !== 'object' || options === null) {
    fail('options must be an object')
  }
  const { signer, onDeadLetter, onEvent, ca, resolve = systemResolve, connections } = options
  if (typeof signer !== 'object' || signer === null || typeof signer.sign !== 'function') {
    fail('signer must be a Signer, e.g. from createSigner')
  }
  if (typeof onDeadLetter !== 'function') {
    // Required, so that no deployment can lose webhooks without having decided where they go.
    fail('onDeadLetter is required: it receives every webhook that was not delivered')
  }
  optionalFunction('onEvent', onEvent)
  if (
    connections !== undefined &&
    (typeof connections !== 'object' ||
      connections === null ||
      typeof connections.accessToken !== 'function')
  ) {
    fail('connections must be a Connections object, from createConnections')
  }
  optionalFunction('resolve', resolve)
  if (ca !== undefined && !(isCertificate(ca) || (Array.isArray(ca) && ca.every(isCertificate)))) {
    fail('ca must be PEM text, a Buffer, or an array of them')
  }
  if (options.allowInsecureHttp !== undefined && typeof options.allowInsecureHttp !== 'boolean') {
    fail('allowInsecureHttp must be a boolean')
  }
  const allowInsecureHttp = options.allowInsecureHttp === true

  const timeout = numberOption(fail, 'timeout', options.timeout, 10_000, { max: MAX_TIMER_MS })
  const maxAttempts = numberOption(fail, 'maxAttempts', options.maxAttempts, 6, { integer: true })
  const backoff = numberOption(fail, 'backoff', options.backoff, 1000, { max: MAX_TIMER_MS })
  const maxBackoff = numberOption(fail, 'maxBackoff', options.maxBackoff, 30_000, {
    max: MAX_TIMER_MS,
  })
  if (backoff > maxBackoff) fail('backoff must not exceed maxBackoff')
  const maxRetryAfter = numberOption(fail, 'maxRetryAfter', options.maxRetryAfter, 60_000, {
    allowZero: true,
    max: MAX_TIMER_MS,
  })
  const maxElapsed = numberOption(fail, 'maxElapsed', options.maxElapsed, 300_000)
  const maxResponseBytes = numberOption(
    fail,
    'maxResponseBytes',
    options.maxResponseBytes,
    64 * 1024,
    {
      integer: true,
      allowZero: true,
    },
  )

  const addressPolicy = createAddressPolicy(options.allowPrivateAddresses)
  const secureLookup = guardedLookup(addressPolicy, resolve, false)
  const loopbackLookup = guardedLookup(addressPolicy, resolve, true)
  const lookupFor = (url: URL): LookupFunction =>
    url.protocol === 'https:' ? secureLookup : loopbackLookup

  return {
    signer,
    onDeadLetter,
    onEvent,
    hostAllowed: createHostAllowList(options.allowedHosts),
    addressPolicy,
    allowInsecureHttp,
    ca,
    lookupFor,
    authFor: destinationAuth(options.auth, {
      allowInsecureHttp,
      policy: addressPolicy,
      fetch: createGuardedFetch({
        timeout,
        allowInsecureHttp,
        addressPolicy,
        resolve,
        ...(ca === undefined ? {} : { ca }),
      }),
      connections,
    }),
    connections,
    timeout,
    maxAttempts,
    backoff,
    maxBackoff,
    maxRetryAfter,
    maxElapsed,
    maxResponseBytes,
  }
}
