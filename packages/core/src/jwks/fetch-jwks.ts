import { request as httpRequest } from 'node:http'
import type { ClientRequest, IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { maxAgeFromCacheControl } from './cache-control.js'

/** Limits and trust for one JWKS fetch. */
export interface FetchJwksOptions {
  /** Time allowed for connect + the whole body, in ms. */
  readonly timeout: number
  /** Largest body accepted, in bytes. */
  readonly maxResponseBytes: number
  /** Trusted CA certificates, replacing Node's defaults as `node:tls` does. */
  readonly ca?: string | Buffer | Array<string | Buffer>
}

/** A parsed JWKS response and the lifetime its `Cache-Control` asks for, if any. */
export interface FetchedJwks {
  readonly document: unknown
  readonly maxAgeMs?: number
}

const ACCEPT = 'application/jwk-set+json, application/json'

function statusFailure(status: number | undefined): Error {
  if (status !== undefined && status >= 300 && status < 400) {
    // A redirect could carry the fetch to a host the receiver never chose to trust for keys.
    return new Error(`the JWKS endpoint answered ${status}; redirects are not followed`)
  }
  return new Error(`the JWKS endpoint answered ${status ?? 'without a status'}, not 200`)
}

/**
 * Makes one bounded GET for a JWKS: TLS 1.2 or newer, no redirects, one timer over connect and body,
 * and a size cap enforced while the body streams in. Rejects on anything but a complete 200 whose
 * body is JSON.
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
export function fetchJwks(url: URL, options: FetchJwksOptions): Promise<FetchedJwks> {
  return new Promise((resolve, reject) => {
    const common = {
      method: 'GET',
      headers: { accept: ACCEPT },
      // A fresh connection per fetch keeps the timeout honest (it covers connect) and leaves no
      // pooled socket holding the process open between fetches, which are minutes apart anyway.
      agent: false,
    } as const
    const request: ClientRequest =
      url.protocol === 'https:'
        ? httpsRequest(url, {
            ...common,
            minVersion: 'TLSv1.2',
            // Explicit, so that NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment cannot switch it off.
            rejectUnauthorized: true,
            ...(options.ca === undefined ? {} : { ca: options.ca }),
          })
        : httpRequest(url, common)

    let settled = false
    const timer = setTimeout(() => {
      fail(new Error(`the JWKS endpoint sent no complete response within ${options.timeout} ms`))
    }, options.timeout)

    function fail(error: Error): void {
      if (settled) return
      settled = true
      clearTimeout(timer)
      request.destroy()
      reject(error)
    }

    function readBody(response: IncomingMessage): void {
      if (response.statusCode !== 200) return fail(statusFailure(response.statusCode))
      const declared = Number(response.headers['content-length'])
      if (declared > options.maxResponseBytes) {
        return fail(new Error(`the JWKS response declares ${declared} bytes, over the limit`))
      }
      const chunks: Buffer[] = []
      let received = 0
      response.on('data', (chunk: Buffer) => {
        received += chunk.length
        if (received > options.maxResponseBytes) {
          return fail(new Error(`the JWKS response exceeds ${options.maxResponseBytes} bytes`))
        }
        chunks.push(chunk)
      })
      response.on('end', () => {
        let document: unknown
        try {
          document = JSON.parse(Buffer.concat(chunks).toString('utf8'))
        } catch {
          return fail(new Error('the JWKS response is not JSON'))
        }
        settled = true
        clearTimeout(timer)
        const maxAgeMs = maxAgeFromCacheControl(response.headers['cache-control'])
        resolve(maxAgeMs === undefined ? { document } : { document, maxAgeMs })
      })
      response.on('error', fail)
      response.on('close', () => fail(new Error('the JWKS response ended before it was complete')))
    }

    request.on('response', readBody)
    request.on('error', fail)
    request.end()
  })
}
