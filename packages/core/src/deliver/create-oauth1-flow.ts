import type { CaCertificates } from '../lib/bounded-request.js'
import { failWith } from '../lib/fail-with.js'
import type { Fail } from '../lib/fail-with.js'
import { parseSecureUrl } from '../lib/parse-secure-url.js'
import { parseFormEncoded } from '../schemes/oauth1/normalize-parameters.js'
import { signOAuth1Request } from '../schemes/oauth1/sign-oauth1-request.js'
import { createGuardedFetch } from './guarded-fetch.js'
import type { ResolveHost } from './guarded-lookup.js'
import { OAuth1FlowError } from './oauth1-flow-error.js'

const fail: Fail = failWith('createOAuth1Flow')

/** Credentials responses are a few short parameters; anything larger is not one. */
const MAX_RESPONSE_BYTES = 16 * 1024
/** What `oauth_problem` may be to be reported: a short code, nothing a server could smuggle. */
const PROBLEM = /^[A-Za-z0-9_.-]{1,64}$/

/** Options of {@link createOAuth1Flow}: the server's three endpoints and the client's credentials. */
export interface OAuth1FlowOptions {
  /** Temporary Credential Request URI (RFC 5849 §2.1). */
  requestTokenUrl: string | URL
  /** Resource Owner Authorization URI (§2.2), where the user is sent. */
  authorizeUrl: string | URL
  /** Token Request URI (§2.3). */
  accessTokenUrl: string | URL
  consumerKey: string
  consumerSecret: string
  /** @default 'HMAC-SHA1' */
  signatureMethod?: 'HMAC-SHA1' | 'HMAC-SHA256'
  /** Time allowed for each request, in ms. @default 10000 */
  timeout?: number
  /** Non-public addresses the server may have, as for `createSender`. @default [] */
  allowPrivateAddresses?: readonly string[]
  /** Allows plain `http:` to loopback hosts, for tests and local development. @default false */
  allowInsecureHttp?: boolean
  /** Trusted CA certificates (PEM), replacing Node's default roots. */
  ca?: CaCertificates
  /** Resolves host names; every address is checked before it is used. @default the system resolver */
  resolve?: ResolveHost
}

/** A token and its secret: temporary credentials (§2.1) or token credentials (§2.3). */
export interface OAuth1Credentials {
  /** `oauth_token` */
  readonly token: string
  /** `oauth_token_secret` */
  readonly tokenSecret: string
  /** Every other parameter of the response, e.g. a user id some servers add. */
  readonly parameters: Readonly<Record<string, string>>
}

/** The three steps of the OAuth 1.0a redirection-based authorization (RFC 5849 §2). */
export interface OAuth1Flow {
  /**
   * Gets temporary credentials, sending `callback` (or `oob`) as `oauth_callback`. Keep the
   * `tokenSecret` on the server until `accessToken`.
   */
  requestToken(options?: { callback?: string }): Promise<OAuth1Credentials>
  /** Where to send the user to authorise the temporary token: `authorizeUrl?oauth_token=…`. */
  authorizeUrl(token: string): string
  /**
   * Exchanges the authorised temporary credentials and the `oauth_verifier` the callback received
   * for token credentials, for `auth: { oauth1: { token, tokenSecret, … } }`.
   */
  accessToken(options: {
    token: string
    tokenSecret: string
    verifier: string
  }): Promise<OAuth1Credentials>
}

function nonEmpty(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') fail(`${name} must be a non-empty string`)
  return value
}

function refused(message: string, details: { status?: number; cause?: unknown } = {}) {
  return new OAuth1FlowError('ERR_OAUTH1_RESPONSE_INVALID', message, details)
}

/** Reads a credentials response strictly: form-encoded, each parameter once, token and secret set. */
function parseCredentials(step: string, body: string): Map<string, string> {
  let pairs: Array<readonly [string, string]>
  try {
    pairs = parseFormEncoded(body.trim())
  } catch (cause) {
    throw refused(`the ${step} response is not form-encoded`, { status: 200, cause })
  }
  const parameters = new Map<string, string>()
  for (const [name, value] of pairs) {
    if (parameters.has(name)) {
      throw refused(`the ${step} response repeats ${name}`, { status: 200 })
    }
    parameters.set(name, value)
  }
  const token = parameters.get('oauth_token')
  const secret = parameters.get('oauth_token_secret')
  if (token === undefined || token === '' || secret === undefined) {
    throw refused(`the ${step} response holds no oauth_token and oauth_token_secret`, {
      status: 200,
    })
  }
  return parameters
}

function problemOf(body: string): string | undefined {
  try {
    const problem = new URLSearchParams(body.trim()).get('oauth_problem') ?? undefined
    return problem !== undefined && PROBLEM.test(problem) ? problem : undefined
  } catch {
    return undefined
  }
}

/**
 * Creates the client side of OAuth 1.0a's 3-legged flow (RFC 5849 §2): temporary credentials, the
 * user's authorization, then token credentials with the `oauth_verifier`. Every request is signed
 * (HMAC-SHA1 by default) and sent through hookseal's bounded, SSRF-guarded HTTP; responses are read
 * strictly as form-encoded credentials, at most 16 KiB, and every failure is an
 * {@link OAuth1FlowError} with a stable `code`.
 *
 * > [!NOTE]
 * > Temporary credentials are single use and short-lived: store the `tokenSecret` server-side, keyed
 * > by `token`, and drop it once `accessToken` has run.
 *
 * @throws TypeError for a missing credential, a URL that is not HTTPS (or loopback http with
 *   `allowInsecureHttp`), or an unknown signature method.
 *
 * @example
 * ```ts
 * const flow = createOAuth1Flow({
 *   requestTokenUrl: 'https://api.mx.example/oauth/request_token',
 *   authorizeUrl: 'https://api.mx.example/oauth/authorize',
 *   accessTokenUrl: 'https://api.mx.example/oauth/access_token',
 *   consumerKey: process.env.MX_CONSUMER_KEY!,
 *   consumerSecret: process.env.MX_CONSUMER_SECRET!,
 * })
 * const temporary = await flow.requestToken({ callback: 'https://sender.example/mx/callback' })
 * redirect(flow.authorizeUrl(temporary.token))
 * ```
 */
export function createOAuth1Flow(options: OAuth1FlowOptions): OAuth1Flow {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const insecure = options.allowInsecureHttp === true
  const requestTokenUrl = parseSecureUrl(options.requestTokenUrl, 'requestTokenUrl', insecure)
  const accessTokenUrl = parseSecureUrl(options.accessTokenUrl, 'accessTokenUrl', insecure)
  // The user's browser goes there, not this process: any https: URL will do.
  const authorizeUrl = parseSecureUrl(options.authorizeUrl, 'authorizeUrl', insecure)
  const consumerKey = nonEmpty('consumerKey', options.consumerKey)
  const consumerSecret = nonEmpty('consumerSecret', options.consumerSecret)
  const signatureMethod = options.signatureMethod ?? 'HMAC-SHA1'
  if (signatureMethod !== 'HMAC-SHA1' && signatureMethod !== 'HMAC-SHA256') {
    fail("signatureMethod must be 'HMAC-SHA1' or 'HMAC-SHA256'")
  }
  const guardedFetch = createGuardedFetch({
    maxResponseBytes: MAX_RESPONSE_BYTES,
    allowInsecureHttp: insecure,
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    ...(options.allowPrivateAddresses === undefined
      ? {}
      : { allowPrivateAddresses: options.allowPrivateAddresses }),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.resolve === undefined ? {} : { resolve: options.resolve }),
  })

  async function post(
    step: string,
    url: URL,
    signing: { token?: string; tokenSecret?: string; extra: Record<string, string> },
  ): Promise<Map<string, string>> {
    const authorization = signOAuth1Request({
      method: 'POST',
      url: url.href,
      consumerKey,
      consumerSecret,
      signatureMethod,
      ...signing,
    })
    let status: number
    let body: string
    try {
      const response = await guardedFetch(url, {
        method: 'POST',
        headers: { authorization, accept: 'application/x-www-form-urlencoded' },
      })
      status = response.status
      body = await response.text()
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause)
      throw new OAuth1FlowError('ERR_OAUTH1_REQUEST_FAILED', `the ${step} request failed: ${why}`, {
        cause,
      })
    }
    if (status !== 200) {
      const oauthProblem = problemOf(body)
      throw new OAuth1FlowError(
        'ERR_OAUTH1_RESPONSE_STATUS',
        `the ${step} endpoint answered ${status}${oauthProblem === undefined ? '' : ` (${oauthProblem})`}, not 200`,
        { status, ...(oauthProblem === undefined ? {} : { oauthProblem }) },
      )
    }
    return parseCredentials(step, body)
  }

  function credentials(parameters: Map<string, string>): OAuth1Credentials {
    const {
      oauth_token: token = '',
      oauth_token_secret: tokenSecret = '',
      ...rest
    } = Object.fromEntries(parameters)
    return { token, tokenSecret, parameters: rest }
  }

  return Object.freeze({
    async requestToken(request: { callback?: string } = {}) {
      const callback = request.callback ?? 'oob'
      if (typeof callback !== 'string' || callback === '') {
        throw new TypeError('requestToken: callback must be a non-empty string')
      }
      const parameters = await post('request token', requestTokenUrl, {
        extra: { oauth_callback: callback },
      })
      if (parameters.get('oauth_callback_confirmed') !== 'true') {
        throw new OAuth1FlowError(
          'ERR_OAUTH1_CALLBACK_NOT_CONFIRMED',
          'the request token response lacks oauth_callback_confirmed=true',
          { status: 200 },
        )
      }
      parameters.delete('oauth_callback_confirmed')
      return credentials(parameters)
    },
    authorizeUrl(token: string) {
      if (typeof token !== 'string' || token === '') {
        throw new TypeError('authorizeUrl: token must be a non-empty string')
      }
      const url = new URL(authorizeUrl)
      url.searchParams.set('oauth_token', token)
      return url.href
    },
    async accessToken(request: { token: string; tokenSecret: string; verifier: string }) {
      const { token, tokenSecret, verifier } = request
      for (const [name, value] of Object.entries({ token, verifier })) {
        if (typeof value !== 'string' || value === '') {
          throw new TypeError(`accessToken: ${name} must be a non-empty string`)
        }
      }
      if (typeof tokenSecret !== 'string') {
        throw new TypeError('accessToken: tokenSecret must be a string')
      }
      return credentials(
        await post('access token', accessTokenUrl, {
          token,
          tokenSecret,
          extra: { oauth_verifier: verifier },
        }),
      )
    },
  })
}
