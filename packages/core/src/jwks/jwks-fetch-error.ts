import { HooksealError } from '../errors/hookseal-error.js'

/** Why one JWKS fetch failed. */
export type JwksFetchErrorCode =
  /** The endpoint answered with a status other than 200 (redirects included: none is followed). */
  | 'ERR_JWKS_STATUS'
  /** No complete response within the fetch timeout. */
  | 'ERR_JWKS_TIMEOUT'
  /** The response was, or declared itself, larger than `maxResponseBytes`. */
  | 'ERR_JWKS_TOO_LARGE'
  /** The connection ended before the response was complete. */
  | 'ERR_JWKS_INCOMPLETE'
  /** Name resolution, connection or TLS failed. */
  | 'ERR_JWKS_NETWORK'
  /** The body is not JSON, not a JWK Set, or holds more keys than allowed. */
  | 'ERR_JWKS_INVALID'

/**
 * One failed JWKS fetch, as reported by the `jwks-fetch-failed` event and carried as the `cause` of
 * the 503 a verification gets when no usable key is cached.
 *
 * @example
 * ```ts
 * createRemoteKeySet(jwksUri, {
 *   onEvent(event) {
 *     if (event.type === 'jwks-fetch-failed') metrics.increment(event.error.code)
 *   },
 * })
 * ```
 */
export class JwksFetchError extends HooksealError {
  declare readonly code: JwksFetchErrorCode
  /** The endpoint's HTTP status, when it answered. */
  readonly status: number | undefined

  constructor(
    code: JwksFetchErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(code, message, options)
    this.status = options.status
  }
}
