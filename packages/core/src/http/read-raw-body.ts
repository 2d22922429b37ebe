import type { IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import { WebhookError } from '../errors/webhook-error.js'

const DEFAULT_FIX = 'mount the webhook route before the parser, or exclude the route from it'

/** How long a whole body may take to arrive, in milliseconds, unless a route says otherwise. */
export const DEFAULT_BODY_TIMEOUT = 30_000

export interface ReadRawBodyOptions {
  /** The announced Content-Length; read from the stream's own headers when it is a request. */
  declaredLength?: number
  /** How to fix the setup when another reader already took the body, in the framework's terms. */
  fix?: string
  /**
   * Milliseconds the whole body may take, counted from this call; past it the read is refused with
   * `ERR_BODY_TIMEOUT` (408). Servers time out idle sockets, not a client sending a byte a second.
   * @default 30000
   */
  timeout?: number
}

/**
 * Reads a request body as raw bytes, refusing it with `ERR_BODY_TOO_LARGE` (413) as soon as it
 * passes `limit`: at once when Content-Length says so, else while reading, without reading the rest.
 * A body still incomplete after `timeout` is refused with `ERR_BODY_TIMEOUT` (408), also without
 * reading the rest. A stream that another reader already consumed is refused with
 * `ERR_RAW_BODY_UNAVAILABLE` at once instead of waiting forever for data that will never come.
 *
 * @param stream The request, or a stream standing in for its body (e.g. Fastify's `preParsing` payload).
 * @example
 * ```ts
 * const raw = await readRawBody(req, 1024 * 1024)
 * ```
 */
export function readRawBody(
  stream: Readable,
  limit: number,
  options: ReadRawBodyOptions = {},
): Promise<Buffer> {
  const declared =
    options.declaredLength ??
    Number((stream as Partial<IncomingMessage>).headers?.['content-length'])
  const { timeout = DEFAULT_BODY_TIMEOUT } = options
  if (declared > limit) return Promise.reject(bodyTooLarge(limit))
  if (stream.readableEnded || !stream.readable) {
    return Promise.reject(rawBodyUnavailable(options.fix))
  }

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let received = 0
    const timer = setTimeout(() => fail(bodyTimedOut(timeout)), timeout)

    function cleanUp(): void {
      clearTimeout(timer)
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      stream.off('close', onClose)
    }
    function fail(error: WebhookError): void {
      cleanUp()
      // Stop reading: the refusal goes out now and the connection is closed after it.
      stream.pause()
      reject(error)
    }
    function onData(chunk: Buffer | string): void {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      received += bytes.length
      if (received > limit) return fail(bodyTooLarge(limit))
      chunks.push(bytes)
    }
    function onEnd(): void {
      cleanUp()
      resolve(Buffer.concat(chunks, received))
    }
    function onError(cause: Error): void {
      fail(new WebhookError('ERR_BODY_INCOMPLETE', 'the request body could not be read', { cause }))
    }
    function onClose(): void {
      fail(new WebhookError('ERR_BODY_INCOMPLETE', 'the request body ended before it was complete'))
    }

    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('close', onClose)
    // Whoever handed the stream over may have paused it; 'data' listeners alone do not restart it.
    stream.resume()
  })
}

/** The refusal for a body over `limit` bytes (413). */
export function bodyTooLarge(limit: number): WebhookError {
  return new WebhookError('ERR_BODY_TOO_LARGE', `the body is larger than ${limit} bytes`)
}

/** The refusal for a body still incomplete after `timeout` ms (408). */
export function bodyTimedOut(timeout: number): WebhookError {
  return new WebhookError('ERR_BODY_TIMEOUT', `the body did not arrive within ${timeout} ms`)
}

/**
 * The refusal for a request whose raw bytes another body parser already took. It is the receiver's
 * setup that is wrong, not the request, hence a 500; its message, shown to whoever sets the
 * receiver up, says how to fix it. Adapters pass the fix that fits their framework.
 */
export function rawBodyUnavailable(fix: string = DEFAULT_FIX): WebhookError {
  return new WebhookError(
    'ERR_RAW_BODY_UNAVAILABLE',
    `the request body was already read by another body parser, so its raw bytes are gone; ${fix} (see the README)`,
  )
}
