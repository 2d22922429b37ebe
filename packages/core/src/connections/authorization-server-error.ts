import * as oauth from 'oauth4webapi'
import { ConnectionError } from './connection-error.js'
import type { ConnectionErrorCode } from './connection-error.js'

/** An OAuth `error` code fit to quote: short printable ASCII, nothing else. */
function quotedCode(code: unknown): string {
  return typeof code === 'string' && /^[\x20-\x7e]{1,64}$/.test(code) ? ` (${code})` : ''
}

/**
 * Turns what a call to the authorization server threw into a {@link ConnectionError}: a 5xx or a
 * network failure is `ERR_AUTHORIZATION_SERVER_UNAVAILABLE` (retryable), any other refusal or
 * malformed answer is `refused`.
 *
 * > [!NOTE]
 * > oauth4webapi's errors carry the response body as their `cause`, which can hold the very
 * > tokens at stake; they are never chained, only their OAuth `error` code is quoted.
 *
 * @example
 * ```ts
 * catch (error) { throw authorizationServerError(error, 'ERR_CONNECTION_EXCHANGE_FAILED', 'the code exchange', customer) }
 * ```
 */
export function authorizationServerError(
  error: unknown,
  refused: ConnectionErrorCode,
  what: string,
  customer: string | undefined,
): ConnectionError {
  if (error instanceof ConnectionError) return error
  if (error instanceof oauth.ResponseBodyError) {
    const code = error.status >= 500 ? 'ERR_AUTHORIZATION_SERVER_UNAVAILABLE' : refused
    return new ConnectionError(
      code,
      `${what} was refused: ${error.status}${quotedCode(error.error)}`,
      { customer },
    )
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const [challenge] = error.cause
    return new ConnectionError(
      refused,
      `${what} was refused: ${error.status}${quotedCode(challenge?.parameters.error)}`,
      { customer },
    )
  }
  if (error instanceof oauth.OperationProcessingError) {
    const status = error.cause instanceof Response ? error.cause.status : undefined
    if (status !== undefined && status >= 500) {
      return new ConnectionError(
        'ERR_AUTHORIZATION_SERVER_UNAVAILABLE',
        `${what} failed: the server answered ${status}`,
        { customer },
      )
    }
    const reason = status === undefined ? error.code : `${error.code}, status ${status}`
    return new ConnectionError(refused, `${what} failed: ${reason}`, { customer })
  }
  const why = error instanceof Error ? error.message : String(error)
  return new ConnectionError('ERR_AUTHORIZATION_SERVER_UNAVAILABLE', `${what} failed: ${why}`, {
    customer,
    cause: error,
  })
}
