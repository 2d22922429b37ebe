import { jwksResponder } from '@hookseal/core/http'
import type { JwksResponseOptions } from '@hookseal/core/http'
import type { SigningKeySet } from '@hookseal/core/send'

/** Options of {@link jwksHandler}: how long receivers may cache the key set. */
export type JwksHandlerOptions = JwksResponseOptions

/**
 * A `(Request) => Response` handler that serves the key set's public JWKS as
 * `application/jwk-set+json` with `Cache-Control: public, max-age=<maxAge>`, read afresh on every
 * request so that a rotation shows at once.
 *
 * > [!NOTE]
 * > Signing keys are loaded and webhooks delivered with `@hookseal/core/send`, which needs Node: on
 * > other runtimes, serve a key set whose `jwks()` returns the published keys.
 *
 * @param keys The sender's key set, from `loadKeySet`.
 * @param options `maxAge` in seconds (default 300); checked once, throwing `TypeError`.
 * @example
 * ```ts
 * const serveJwks = jwksHandler(keys, { maxAge: 600 })
 * ```
 */
export function jwksHandler(
  keys: SigningKeySet,
  options: JwksHandlerOptions = {},
): (request: Request) => Response {
  const render = jwksResponder(keys, options)
  return function serveJwks(): Response {
    const { status, headers, body } = render()
    return new Response(body, { status, headers })
  }
}
