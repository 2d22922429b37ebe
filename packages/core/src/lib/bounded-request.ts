import { request as httpRequest } from 'node:http'
import type {
  Agent,
  ClientRequest,
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  RequestOptions,
} from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { RequestOptions as HttpsRequestOptions } from 'node:https'
import type { LookupFunction } from 'node:net'
import { BoundedRequestError } from './bounded-request-error.js'

export { BoundedRequestError } from './bounded-request-error.js'
export type { BoundedRequestFailure } from './bounded-request-error.js'

/** Trusted CA certificates in any form `node:tls` takes them (PEM text or Buffers). */
export type CaCertificates = string | Buffer | Array<string | Buffer>

/** Limits and trust for one request. */
export interface BoundedRequestOptions {
  readonly method: 'GET' | 'POST' | 'PUT'
  readonly headers: OutgoingHttpHeaders
  readonly body?: Uint8Array
  /** Time allowed for name resolution, connect, and the whole response as far as it is read, in ms. */
  readonly timeout: number
  /** Most response body bytes read. */
  readonly maxResponseBytes: number
  /**
   * A body past `maxResponseBytes` either fails the request, or is cut off there: the bytes read so
   * far are kept and the connection is dropped without reading the rest.
   */
  readonly overflow: 'fail' | 'truncate'
  /** Decides from the status whether the body is worth reading at all; by default it always is. */
  readonly readBodyIf?: (status: number) => boolean
  /** Trusted CA certificates, replacing Node's defaults as `node:tls` does. */
  readonly ca?: CaCertificates
  /** Resolves the host name; the socket connects only to what this hands back. */
  readonly lookup?: LookupFunction
  /**
   * A keep-alive agent whose sockets may be reused; new sockets still go through `lookup`. A socket
   * goes back to it only after a 2xx whose body was read to its end: any other answer closes it, so
   * that the next attempt connects, and resolves and checks the name, afresh.
   * @default a connection of its own, closed after the response
   */
  readonly agent?: Agent
  /** Ends the request early, rejecting with the signal's reason. */
  readonly signal?: AbortSignal
}

/** A response whose body was read within the limits (or not read, per `readBodyIf`). */
export interface BoundedResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  /** True when the body was cut off at `maxResponseBytes` (`overflow: 'truncate'` only). */
  readonly truncated: boolean
}

function open(url: URL, options: BoundedRequestOptions): ClientRequest {
  const common: RequestOptions = {
    method: options.method,
    headers: options.headers,
    // Without a pool, a fresh connection per request: every connection goes through `lookup`.
    agent: options.agent ?? false,
    ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
  }
  if (url.protocol !== 'https:') return httpRequest(url, common)
  const secure: HttpsRequestOptions = {
    ...common,
    minVersion: 'TLSv1.2',
    // Explicit, so that NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment cannot switch it off.
    rejectUnauthorized: true,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  }
  return httpsRequest(url, secure)
}

/**
 * Makes one bounded HTTP request: TLS 1.2 or newer, redirects never followed (a 3xx is returned
 * like any other status), one timer over resolution, connect and body, and a size cap enforced while
 * the body streams in.
 *
 * @param url An `https:` URL, or an `http:` one already checked to be acceptable.
 * @throws BoundedRequestError for a timeout, a body over the cap (`overflow: 'fail'`), or a response
 *   cut short; any other error (refused connection, TLS failure, an error from `lookup`) as raised.
 *
 * @example
 * ```ts
 * const response = await boundedRequest(new URL('https://sender.example/jwks.json'), {
 *   method: 'GET',
 *   headers: { accept: 'application/json' },
 *   timeout: 5000,
 *   maxResponseBytes: 1024 * 1024,
 *   overflow: 'fail',
 * })
 * ```
 */
export function boundedRequest(url: URL, options: BoundedRequestOptions): Promise<BoundedResponse> {
  return new Promise((resolve, reject) => {
    const request = open(url, options)

    let settled = false
    const timer = setTimeout(() => {
      fail(new BoundedRequestError('timeout', `no complete response within ${options.timeout} ms`))
    }, options.timeout)

    function finish(response: BoundedResponse): void {
      if (settled) return
      settled = true
      clearTimeout(timer)
      // Whatever is left unread stays unread: dropping the connection is cheaper than draining it.
      request.destroy()
      resolve(response)
    }

    function fail(error: Error): void {
      if (settled) return
      settled = true
      clearTimeout(timer)
      request.destroy()
      reject(error)
    }

    function readBody(response: IncomingMessage): void {
      const status = response.statusCode ?? 0
      const { headers, socket } = response
      if (options.agent !== undefined && (status < 200 || status > 299)) {
        // Node hands the socket back to the agent as the body ends, before `finish` runs: a socket
        // that answered with a failure must not serve the next attempt.
        response.once('end', () => socket.destroy())
      }
      if (options.readBodyIf !== undefined && !options.readBodyIf(status)) {
        return finish({ status, headers, body: Buffer.alloc(0), truncated: false })
      }
      const limit = options.maxResponseBytes
      const declared = Number(headers['content-length'])
      if (options.overflow === 'fail' && declared > limit) {
        return fail(
          new BoundedRequestError('too-large', `the response declares ${declared} bytes`, declared),
        )
      }
      const chunks: Buffer[] = []
      let received = 0
      response.on('data', (chunk: Buffer) => {
        if (received + chunk.length <= limit) {
          received += chunk.length
          chunks.push(chunk)
          return
        }
        if (options.overflow === 'fail') {
          return fail(new BoundedRequestError('too-large', `the response exceeds ${limit} bytes`))
        }
        chunks.push(chunk.subarray(0, limit - received))
        finish({ status, headers, body: Buffer.concat(chunks), truncated: true })
      })
      response.on('end', () => {
        finish({ status, headers, body: Buffer.concat(chunks), truncated: false })
      })
      response.on('error', fail)
      response.on('close', () => {
        // Closed after every response: make the error (and its stack) only for one cut short.
        if (settled) return
        fail(new BoundedRequestError('incomplete', 'the response ended before it was complete'))
      })
    }

    request.on('response', readBody)
    request.on('error', fail)

    const { signal } = options
    if (signal !== undefined) {
      const abort = (): void => fail(signal.reason as Error)
      if (signal.aborted) return abort()
      signal.addEventListener('abort', abort, { once: true })
      request.on('close', () => signal.removeEventListener('abort', abort))
    }
    request.end(options.body)
  })
}
