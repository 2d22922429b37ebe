import { HooksealError } from '../errors/hookseal-error.js'

/**
 * The HTTP status of each connection failure, as the connection routes answer it. A user's or an
 * authorization server's bad answer is a 4xx; an authorization server or store that is down is a
 * 503, so that the super-user can simply try again.
 */
export const CONNECTION_ERROR_STATUS = {
  /** The customer in a connection route is not 1–256 printable ASCII characters without spaces. */
  ERR_CONNECTION_CUSTOMER_INVALID: 400,
  /** The connection route's `authorize` refused to let this request connect the customer. */
  ERR_CONNECTION_FORBIDDEN: 403,
  /** `state` unknown, expired, already used, or missing. */
  ERR_CONNECTION_STATE_INVALID: 400,
  /** The authorization server answered the redirect with `error=` (the user declined, for one). */
  ERR_CONNECTION_DENIED: 400,
  /** The callback carries neither `code` nor `error`. */
  ERR_CONNECTION_CODE_MISSING: 400,
  /** The callback's `iss` (RFC 9207) is not the authorization server's issuer. */
  ERR_CONNECTION_ISSUER_MISMATCH: 400,
  /** The authorization server refused the code or sent a response that is not a valid token. */
  ERR_CONNECTION_EXCHANGE_FAILED: 400,
  /** No connection is stored for the customer. */
  ERR_CONNECTION_NOT_FOUND: 404,
  /** The authorization server refused the customer's refresh token: the customer must connect again. */
  ERR_CONNECTION_REVOKED: 410,
  /** The authorization server (discovery, token or revocation endpoint) did not answer usably. */
  ERR_AUTHORIZATION_SERVER_UNAVAILABLE: 503,
  /** Another process held the customer's refresh lock for longer than a refresh may take. */
  ERR_CONNECTION_BUSY: 503,
  /** The connection store failed. */
  ERR_CONNECTION_STORE_UNAVAILABLE: 503,
  /** A stored token was sealed with a key id none of `encryptionKeys` has, or it was altered. */
  ERR_CONNECTION_UNREADABLE: 500,
} as const

/** A stable machine-readable reason a connection could not be made or used. */
export type ConnectionErrorCode = keyof typeof CONNECTION_ERROR_STATUS

const RETRYABLE: ReadonlySet<ConnectionErrorCode> = new Set([
  'ERR_AUTHORIZATION_SERVER_UNAVAILABLE',
  'ERR_CONNECTION_BUSY',
  'ERR_CONNECTION_STORE_UNAVAILABLE',
])

/**
 * Every failure of a customer connection. Messages never hold a token, a code or a code verifier;
 * the authorization server's OAuth `error` code is named where it sent one.
 *
 * @example
 * ```ts
 * try {
 *   await connections.accessToken('acme')
 * } catch (err) {
 *   if (err instanceof ConnectionError && err.code === 'ERR_CONNECTION_REVOKED') askToReconnect()
 * }
 * ```
 */
export class ConnectionError extends HooksealError {
  declare readonly code: ConnectionErrorCode
  /** The HTTP status the connection routes answer with. */
  readonly status: number
  /** Same as `status`, for frameworks that read `statusCode`. */
  readonly statusCode: number
  /** True for 4xx: the message is safe to show the user. */
  readonly expose: boolean
  /** Whether trying again later may succeed. */
  readonly retryable: boolean
  /** The customer concerned, when known. */
  readonly customer: string | undefined

  constructor(
    code: ConnectionErrorCode,
    message: string,
    options: { customer?: string | undefined; cause?: unknown } = {},
  ) {
    super(code, message, options)
    this.status = CONNECTION_ERROR_STATUS[code]
    this.statusCode = this.status
    this.expose = this.status < 500
    this.retryable = RETRYABLE.has(code)
    this.customer = options.customer
  }
}
