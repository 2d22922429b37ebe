import { randomBytes } from 'node:crypto'
import { parseFormEncoded } from './normalize-parameters.js'
import type { Parameter } from './normalize-parameters.js'
import { oauth1Signature } from './oauth1-signature.js'
import type { OAuth1SignatureMethod } from './oauth1-signature.js'
import { percentEncode } from './percent-encode.js'
import { baseStringUri, signatureBaseString } from './signature-base-string.js'

/** Options of {@link signOAuth1Request}: the credentials and the request they sign. */
export interface SignOAuth1RequestOptions {
  /** @default 'POST' */
  method?: string
  /** The absolute URL the request goes to, query included. */
  url: string
  /** A form body (`application/x-www-form-urlencoded`), whose parameters are signed too. */
  formBody?: string
  consumerKey: string
  consumerSecret: string
  /** `oauth_token` and its secret, for 3-legged requests. */
  token?: string
  tokenSecret?: string
  /** @default 'HMAC-SHA1' */
  signatureMethod?: OAuth1SignatureMethod
  /** @default 32 random hex characters */
  nonce?: string
  /** Epoch seconds. @default now */
  timestamp?: number
  /** Sent in the header, never signed. */
  realm?: string
  /** Other protocol parameters, e.g. `oauth_callback`, `oauth_verifier`, `oauth_body_hash`. */
  extra?: Readonly<Record<string, string>>
  /** Send `oauth_version="1.0"`. @default true */
  version?: boolean
}

/**
 * Signs one request with OAuth 1.0a (RFC 5849) and returns its `Authorization: OAuth …` header.
 *
 * @example
 * ```ts
 * const authorization = signOAuth1Request({
 *   url: 'https://receiver.example/webhooks',
 *   consumerKey: 'mx-agent',
 *   consumerSecret: process.env.MX_SECRET!,
 * })
 * ```
 */
export function signOAuth1Request(options: SignOAuth1RequestOptions): string {
  const {
    method = 'POST',
    url,
    formBody,
    consumerKey,
    consumerSecret,
    token,
    tokenSecret,
  } = options
  const signatureMethod = options.signatureMethod ?? 'HMAC-SHA1'
  const oauth: Parameter[] = [
    ['oauth_consumer_key', consumerKey],
    ['oauth_nonce', options.nonce ?? randomBytes(16).toString('hex')],
    ['oauth_signature_method', signatureMethod],
    ['oauth_timestamp', String(options.timestamp ?? Math.floor(Date.now() / 1000))],
    ...(token === undefined ? [] : [['oauth_token', token] as const]),
    ...(options.version === false ? [] : [['oauth_version', '1.0'] as const]),
    ...Object.entries(options.extra ?? {}),
  ]
  const query = new URL(url).search.slice(1)
  const parameters = [
    ...parseFormEncoded(query),
    ...oauth,
    ...(formBody === undefined ? [] : parseFormEncoded(formBody)),
  ]
  const baseString = signatureBaseString(method, baseStringUri(url), parameters)
  const signature = oauth1Signature(signatureMethod, baseString, consumerSecret, tokenSecret)
  const fields = [
    ...(options.realm === undefined ? [] : [['realm', options.realm] as const]),
    ...oauth,
    ['oauth_signature', signature.toString('base64')] as const,
  ]
  return `OAuth ${fields.map(([name, value]) => `${percentEncode(name)}="${percentEncode(value)}"`).join(', ')}`
}
