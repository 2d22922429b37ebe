import { WebhookError } from '../../errors/webhook-error.js'
import { boundedRequest } from '#runtime/http.js'
import { parseSecureUrl } from '../../lib/parse-secure-url.js'
import type { KeyFunction } from './create-key-function-set.js'

/** Options of {@link createPlaidKeySource}. */
export interface PlaidKeySourceOptions {
  /** Your Plaid `client_id`. */
  clientId: string
  /** Your Plaid `secret` for the environment. */
  secret: string
  /** `'production'` or `'sandbox'`, or the API's base URL. @default 'production' */
  environment?: 'production' | 'sandbox' | (string & {})
  /** Plain `http:` for a loopback base URL (tests). @default false */
  allowInsecureHttp?: boolean
  /** Time allowed for one key request, in ms. @default 5000 */
  timeout?: number
}

const ENVIRONMENTS: Readonly<Record<string, string>> = {
  production: 'https://production.plaid.com',
  sandbox: 'https://sandbox.plaid.com',
}

/**
 * The key source for Plaid webhooks: asks Plaid's `/webhook_verification_key/get` (with your client
 * id and secret) for the key a `Plaid-Verification` token names. A key Plaid reports as expired
 * (`expired_at` set) is refused with `ERR_KEY_UNUSABLE`, an unknown one with `ERR_KEY_NOT_FOUND`.
 * Give it as `keys` of a JWT sender; the verifier caches what it returns.
 *
 * @example
 * ```ts
 * createVerifier({
 *   senders: [{
 *     scheme: 'jwt', id: 'plaid', issuer: null, signatureHeader: 'plaid-verification',
 *     keys: createPlaidKeySource({ clientId, secret }),
 *     audience: null, requireExp: false, maxTokenAge: 300, algorithms: ['ES256'],
 *   }],
 * })
 * ```
 */
export function createPlaidKeySource(options: PlaidKeySourceOptions): KeyFunction {
  const { clientId, secret, environment = 'production', allowInsecureHttp = false } = options
  const timeout = options.timeout ?? 5000
  if (typeof clientId !== 'string' || clientId === '') {
    throw new TypeError('createPlaidKeySource: clientId is required')
  }
  if (typeof secret !== 'string' || secret === '') {
    throw new TypeError('createPlaidKeySource: secret is required')
  }
  const base = parseSecureUrl(
    ENVIRONMENTS[environment] ?? environment,
    'createPlaidKeySource environment',
    allowInsecureHttp,
  )
  const url = new URL(
    'webhook_verification_key/get',
    base.href.endsWith('/') ? base : `${base.href}/`,
  )

  return async function plaidKey(kid) {
    const body = Buffer.from(JSON.stringify({ client_id: clientId, secret, key_id: kid }))
    const response = await boundedRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length },
      body,
      timeout,
      maxResponseBytes: 64 * 1024,
      overflow: 'fail',
    })
    const document = JSON.parse(response.body.toString('utf8')) as {
      key?: Record<string, unknown>
      error_code?: string
    }
    // Plaid answers an unknown key id with this error; anything else (bad credentials, an outage)
    // is a failure the sender should retry after.
    if (document.error_code === 'INVALID_WEBHOOK_VERIFICATION_KEY_ID') return undefined
    if (response.status !== 200 || typeof document.key !== 'object' || document.key === null) {
      throw new Error(`Plaid answered ${response.status} to the key request`)
    }
    const { expired_at: expiredAt, ...jwk } = document.key
    if (expiredAt !== null && expiredAt !== undefined) {
      throw new WebhookError('ERR_KEY_UNUSABLE', `Plaid reports key "${kid}" as expired`)
    }
    return jwk
  }
}
