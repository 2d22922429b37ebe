import type { Fail } from '../lib/fail-with.js'
import { signOAuth1Request } from '../schemes/oauth1/sign-oauth1-request.js'
import type { AttemptHeaders } from './attempt-request.js'
import type { OAuth1AuthOptions } from './types.js'

const FORM = 'application/x-www-form-urlencoded'

function isForm(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === FORM
}

/**
 * Checks a destination's OAuth 1.0a credentials once and returns what signs each attempt (RFC 5849
 * §3): a fresh nonce and timestamp every time, the query's parameters signed, and the body's when
 * the delivery is sent as `application/x-www-form-urlencoded`.
 *
 * @param where The option's path, for messages (`auth["api.partner.example"].oauth1`).
 * @throws TypeError for a missing consumer key or secret, a token without its secret (or the other
 *   way round), an unknown signature method, or an empty callback.
 *
 * @example
 * ```ts
 * const authorize = oauth1Authorizer('auth["api.mx.example"].oauth1', { consumerKey, consumerSecret }, fail)
 * authorize(request).authorization // 'OAuth oauth_consumer_key="…", …'
 * ```
 */
export function oauth1Authorizer(
  where: string,
  options: OAuth1AuthOptions,
  fail: Fail,
): AttemptHeaders {
  if (typeof options !== 'object' || options === null) fail(`${where} must be an object`)
  const { consumerKey, consumerSecret, token, tokenSecret, callback } = options
  const signatureMethod = options.signatureMethod ?? 'HMAC-SHA1'
  if (typeof consumerKey !== 'string' || consumerKey === '') {
    fail(`${where}.consumerKey must be a non-empty string`)
  }
  if (typeof consumerSecret !== 'string' || consumerSecret === '') {
    fail(`${where}.consumerSecret must be a non-empty string`)
  }
  if ((token === undefined) !== (tokenSecret === undefined)) {
    fail(`${where}: give token and tokenSecret together`)
  }
  if (token !== undefined && (typeof token !== 'string' || token === '')) {
    fail(`${where}.token must be a non-empty string`)
  }
  if (tokenSecret !== undefined && typeof tokenSecret !== 'string') {
    fail(`${where}.tokenSecret must be a string`)
  }
  if (signatureMethod !== 'HMAC-SHA1' && signatureMethod !== 'HMAC-SHA256') {
    fail(`${where}.signatureMethod must be 'HMAC-SHA1' or 'HMAC-SHA256'`)
  }
  if (callback !== undefined && (typeof callback !== 'string' || callback === '')) {
    fail(`${where}.callback must be a non-empty string`)
  }

  return (request) => ({
    authorization: signOAuth1Request({
      method: request.method,
      url: request.url.href,
      ...(isForm(request.headers['content-type'])
        ? { formBody: request.body.toString('utf8') }
        : {}),
      consumerKey,
      consumerSecret,
      ...(token === undefined ? {} : { token, tokenSecret }),
      signatureMethod,
      ...(callback === undefined ? {} : { extra: { oauth_callback: callback } }),
    }),
  })
}
