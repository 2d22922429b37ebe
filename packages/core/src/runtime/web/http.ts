/**
 * The HTTP seam on runtimes without node:http: `fetch` under the same rules as the node:https
 * request. No redirect is followed (a 3xx comes back as it is), one timer covers the request and the
 * whole body, and the size cap holds while the body streams in. The runtime's own TLS applies (1.2
 * or newer on every runtime this path serves).
 */
import type { IncomingHttpHeaders } from 'node:http'
import { BoundedRequestError } from '../../lib/bounded-request-error.js'
import type { BoundedRequestOptions, BoundedResponse } from '../../lib/bounded-request.js'

function outgoingHeaders(headers: BoundedRequestOptions['headers']): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    result[name] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  return result
}

function incomingHeaders(headers: Headers): IncomingHttpHeaders {
  const result: Record<string, string> = {}
  headers.forEach((value, name) => {
    result[name] = value
  })
  return result
}

/**
 * Makes one bounded HTTP request with `fetch`.
 *
 * @throws BoundedRequestError for a timeout, a body over the cap (`overflow: 'fail'`), or a response
 *   cut short; a TypeError when asked for custom CA certificates or a custom lookup, which `fetch`
 *   cannot honour; any other error as `fetch` raised it.
 */
export async function boundedRequest(
  url: URL,
  options: BoundedRequestOptions,
): Promise<BoundedResponse> {
  if (options.ca !== undefined || options.lookup !== undefined) {
    // Silently trusting the default CAs, or skipping an address check, would weaken what was asked.
    throw new TypeError('custom CA certificates and lookups need Node; fetch cannot take them')
  }
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, options.timeout)
  const timeout = () =>
    new BoundedRequestError('timeout', `no complete response within ${options.timeout} ms`)

  try {
    let response: Response
    try {
      response = await fetch(url, {
        method: options.method,
        headers: outgoingHeaders(options.headers),
        ...(options.body === undefined ? {} : { body: options.body }),
        redirect: 'manual',
        signal: controller.signal,
      })
    } catch (error) {
      throw timedOut ? timeout() : error
    }
    const { status } = response
    const headers = incomingHeaders(response.headers)
    if (
      response.body === null ||
      (options.readBodyIf !== undefined && !options.readBodyIf(status))
    ) {
      controller.abort()
      return { status, headers, body: Buffer.alloc(0), truncated: false }
    }
    const limit = options.maxResponseBytes
    const declared = Number(headers['content-length'])
    if (options.overflow === 'fail' && declared > limit) {
      controller.abort()
      throw new BoundedRequestError(
        'too-large',
        `the response declares ${declared} bytes`,
        declared,
      )
    }

    const reader = response.body.getReader()
    const chunks: Uint8Array[] = []
    let received = 0
    for (;;) {
      const chunk = await reader.read().catch(() => {
        throw timedOut
          ? timeout()
          : new BoundedRequestError('incomplete', 'the response ended before it was complete')
      })
      if (chunk.done) break
      const bytes = chunk.value
      if (received + bytes.length > limit) {
        // Whatever is left unread stays unread: dropping the connection is cheaper than draining it.
        controller.abort()
        if (options.overflow === 'fail') {
          throw new BoundedRequestError('too-large', `the response exceeds ${limit} bytes`)
        }
        chunks.push(bytes.subarray(0, limit - received))
        return { status, headers, body: Buffer.concat(chunks), truncated: true }
      }
      received += bytes.length
      chunks.push(bytes)
    }
    return { status, headers, body: Buffer.concat(chunks, received), truncated: false }
  } finally {
    clearTimeout(timer)
  }
}
