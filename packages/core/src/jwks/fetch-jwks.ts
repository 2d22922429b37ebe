import { boundedRequest } from '#runtime/http.js'
import { BoundedRequestError } from '../lib/bounded-request-error.js'
import type { CaCertificates } from '../lib/bounded-request.js'
import { maxAgeFromCacheControl } from './cache-control.js'
import { JwksFetchError } from './jwks-fetch-error.js'

/** Limits and trust for one JWKS fetch. */
export interface FetchJwksOptions {
  /** Time allowed for connect + the whole body, in ms. */
  readonly timeout: number
  /** Largest body accepted, in bytes. */
  readonly maxResponseBytes: number
  /** Trusted CA certificates, replacing Node's defaults as `node:tls` does. */
  readonly ca?: CaCertificates
}

/** A parsed JWKS response and the lifetime its `Cache-Control` asks for, if any. */
export interface FetchedJwks {
  readonly document: unknown
  readonly maxAgeMs?: number
}

const ACCEPT = 'application/jwk-set+json, application/json'
const BYTE_ORDER_MARK = 0xfeff

function statusFailure(status: number): JwksFetchError {
  if (status >= 300 && status < 400) {
    // A redirect could carry the fetch to a host the receiver never chose to trust for keys.
    return new JwksFetchError(
      'ERR_JWKS_STATUS',
      `the JWKS endpoint answered ${status}; redirects are not followed`,
      { status },
    )
  }
  return new JwksFetchError(
    'ERR_JWKS_STATUS',
    `the JWKS endpoint answered ${status || 'without a status'}, not 200`,
    { status },
  )
}

function requestFailure(error: unknown, options: FetchJwksOptions): JwksFetchError {
  const cause = { cause: error }
  if (!(error instanceof BoundedRequestError)) {
    const reason = error instanceof Error ? error.message : String(error)
    return new JwksFetchError(
      'ERR_JWKS_NETWORK',
      `the JWKS endpoint cannot be reached: ${reason}`,
      cause,
    )
  }
  switch (error.reason) {
    case 'timeout':
      return new JwksFetchError(
        'ERR_JWKS_TIMEOUT',
        `the JWKS endpoint sent no complete response within ${options.timeout} ms`,
        cause,
      )
    case 'too-large':
      return new JwksFetchError(
        'ERR_JWKS_TOO_LARGE',
        error.declaredBytes === undefined
          ? `the JWKS response exceeds ${options.maxResponseBytes} bytes`
          : `the JWKS response declares ${error.declaredBytes} bytes, over the limit`,
        cause,
      )
    case 'incomplete':
      return new JwksFetchError(
        'ERR_JWKS_INCOMPLETE',
        'the JWKS response ended before it was complete',
        cause,
      )
  }
}

/**
 * Makes one bounded GET for a JWKS: TLS 1.2 or newer, no redirects, one timer over connect and body,
 * and a size cap enforced while the body streams in. Rejects on anything but a complete 200 whose
 * body is JSON (after one leading UTF-8 byte order mark, which is ignored), with a
 * {@link JwksFetchError} saying why.
 *
 * @param url An `https:` URL, or an `http:` one already checked to be loopback.
 *
 * @example
 * ```ts
 * const { document, maxAgeMs } = await fetchJwks(new URL('https://sender.example/jwks.json'), {
 *   timeout: 5000,
 *   maxResponseBytes: 1024 * 1024,
 * })
 * ```
 */
export async function fetchJwks(url: URL, options: FetchJwksOptions): Promise<FetchedJwks> {
  let response
  try {
    response = await boundedRequest(url, {
      method: 'GET',
      headers: { accept: ACCEPT },
      timeout: options.timeout,
      maxResponseBytes: options.maxResponseBytes,
      overflow: 'fail',
      // The body of anything but a 200 is of no use, however small.
      readBodyIf: (status) => status === 200,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    })
  } catch (error) {
    throw requestFailure(error, options)
  }
  if (response.status !== 200) throw statusFailure(response.status)
  let document: unknown
  try {
    const text = response.body.toString('utf8')
    // Some servers write a byte order mark before JSON; RFC 8259 (section 8.1) lets a parser ignore
    // it, and refusing it would leave the sender's keys unobtainable for good.
    document = JSON.parse(text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text)
  } catch {
    throw new JwksFetchError('ERR_JWKS_INVALID', 'the JWKS response is not JSON')
  }
  const maxAgeMs = maxAgeFromCacheControl(response.headers['cache-control'])
  return maxAgeMs === undefined ? { document } : { document, maxAgeMs }
}
