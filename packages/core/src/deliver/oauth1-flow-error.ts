import { HooksealError } from '../errors/hookseal-error.js'

/** Why a step of the OAuth 1.0a 3-legged flow failed. */
export type OAuth1FlowErrorCode =
  /** The request did not complete: network, TLS, timeout, a refused address, a response too large. */
  | 'ERR_OAUTH1_REQUEST_FAILED'
  /** The server answered with a status other than 200. */
  | 'ERR_OAUTH1_RESPONSE_STATUS'
  /** The 200 response is not form-encoded credentials (RFC 5849 §2.1, §2.3). */
  | 'ERR_OAUTH1_RESPONSE_INVALID'
  /** The temporary credentials came without `oauth_callback_confirmed=true` (RFC 5849 §2.1). */
  | 'ERR_OAUTH1_CALLBACK_NOT_CONFIRMED'

/**
 * A step of `createOAuth1Flow` that failed. The message names the step and the status, never a
 * token, a secret or the response body; `oauthProblem` carries the server's `oauth_problem`, when it
 * sent a short one.
 *
 * @example
 * ```ts
 * try {
 *   await flow.accessToken({ token, tokenSecret, verifier })
 * } catch (err) {
 *   if (err instanceof OAuth1FlowError && err.status === 401) restartAuthorization()
 * }
 * ```
 */
export class OAuth1FlowError extends HooksealError {
  declare readonly code: OAuth1FlowErrorCode
  /** The server's HTTP status, when it answered. */
  readonly status: number | undefined
  /** The `oauth_problem` the server reported (OAuth Problem Reporting), when it sent one. */
  readonly oauthProblem: string | undefined

  constructor(
    code: OAuth1FlowErrorCode,
    message: string,
    details: { status?: number; oauthProblem?: string; cause?: unknown } = {},
  ) {
    super(code, message, details)
    this.status = details.status
    this.oauthProblem = details.oauthProblem
  }
}
