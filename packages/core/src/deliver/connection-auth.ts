import { ConnectionError } from '../connections/connection-error.js'
import type { Connections } from '../connections/types.js'
import type { TokenSource } from './client-credentials.js'
import { DeliveryAttemptError } from './delivery-error.js'
import type { NormalizedSenderOptions, ResolvedAuth } from './normalize-sender-options.js'

function attemptError(error: unknown): DeliveryAttemptError {
  if (!(error instanceof ConnectionError)) {
    const why = error instanceof Error ? error.message : String(error)
    return new DeliveryAttemptError(
      'ERR_TOKEN_UNAVAILABLE',
      `the connection gave no token: ${why}`,
      {
        // A TypeError is a customer id the connections refuse; retrying cannot change it.
        retryable: !(error instanceof TypeError),
        cause: error,
      },
    )
  }
  // Revoked and missing connections need the customer, not a retry: the delivery is dead-lettered
  // at once, to be replayed once the customer has connected again.
  const code =
    error.code === 'ERR_CONNECTION_REVOKED' || error.code === 'ERR_CONNECTION_NOT_FOUND'
      ? error.code
      : 'ERR_TOKEN_UNAVAILABLE'
  return new DeliveryAttemptError(code, error.message, {
    retryable: error.retryable,
    cause: error,
  })
}

/** One delivery's bearer tokens from a customer's connection; a refused token is refreshed once. */
function connectionTokens(connections: Connections, customer: string): TokenSource {
  let rejected: string | undefined
  return {
    async get() {
      try {
        const token = await connections.accessToken(
          customer,
          rejected === undefined ? {} : { rejected },
        )
        rejected = undefined
        return token
      } catch (error) {
        throw attemptError(error)
      }
    },
    invalidate(token) {
      rejected = token
    },
  }
}

/**
 * The authentication of one delivery: the destination's `auth`, with the bearer token taken from
 * a customer's connection when the delivery (first) or the destination names one.
 *
 * @throws TypeError when a connection is named but the sender has no `connections`.
 *
 * @example
 * ```ts
 * const auth = connectionAuth(config, config.authFor(url), prepared.connection)
 * ```
 */
export function connectionAuth(
  config: NormalizedSenderOptions,
  auth: ResolvedAuth | undefined,
  connection: string | undefined,
): ResolvedAuth | undefined {
  const customer = connection ?? auth?.connection
  if (customer === undefined) return auth
  if (config.connections === undefined) {
    throw new TypeError('send: a delivery with a connection needs the connections option')
  }
  return {
    // The connection's bearer token replaces any other authorization for this delivery.
    headers: Object.fromEntries(
      Object.entries(auth?.headers ?? {}).filter(([name]) => name !== 'authorization'),
    ),
    tokens: connectionTokens(config.connections, customer),
    connection: customer,
  }
}
