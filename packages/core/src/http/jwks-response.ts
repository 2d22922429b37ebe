import type { SigningKeySet } from '../sign/key-set-types.js'

export interface JwksResponseOptions {
  /**
   * `Cache-Control: max-age` in seconds. Receivers cache the set this long, so a `next` key must be
   * published at least this long before `rotate()` makes it sign.
   * @default 300
   */
  maxAge?: number
}

/** Everything an adapter needs to answer a JWKS request. */
export interface JwksResponse {
  status: 200
  headers: Record<string, string>
  /** The public JWKS as JSON text. */
  body: string
}

/**
 * Checks `maxAge` once and returns a function that renders the key set's current public JWKS,
 * read afresh on every call so that rotations show up at once.
 *
 * @example
 * ```ts
 * const render = jwksResponder(keys, { maxAge: 300 })
 * const { status, headers, body } = render()
 * ```
 */
export function jwksResponder(
  keys: SigningKeySet,
  options: JwksResponseOptions = {},
): () => JwksResponse {
  if (typeof keys?.jwks !== 'function') {
    throw new TypeError('jwks route: keys must be a key set from loadKeySet')
  }
  const { maxAge = 300 } = options
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new TypeError('jwks route: maxAge must be a whole number of seconds, 0 or more')
  }
  const headers = {
    'content-type': 'application/jwk-set+json',
    'cache-control': `public, max-age=${maxAge}`,
  }
  return () => ({ status: 200, headers: { ...headers }, body: JSON.stringify(keys.jwks()) })
}
