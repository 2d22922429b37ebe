import type { IncomingMessage } from 'node:http'
import { WebhookError } from '../errors/webhook-error.js'

/** What a body parser leaves behind when it has already read the stream. */
const RAW_BODY_GONE =
  'the request body was already read by another body parser, so its raw bytes are gone; ' +
  'mount the webhook route before the parser, or exclude the route from it (see the README)'

/**
 * Reads a request body as raw bytes, refusing it with `ERR_BODY_TOO_LARGE` (413) as soon as it
 * passes `limit`: at once when Content-Length says so, else while reading, without reading the rest.
 * A stream that another parser already consumed is refused with `ERR_RAW_BODY_UNAVAILABLE` at once
 * instead of waiting forever for data that will never come.
 */
export function readRawBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'])
  if (declared > limit) return Promise.reject(tooLarge(limit))
  if (request.readableEnded || !request.readable) {
    return Promise.reject(rawBodyUnavailable())
  }

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let received = 0

    function cleanUp(): void {
      request.off('data', onData)
      request.off('end', onEnd)
      request.off('error', onError)
      request.off('close', onClose)
    }
    function fail(error: WebhookError): void {
      cleanUp()
      // Stop reading: the refusal goes out now and the connection is closed after it.
      request.pause()
      reject(error)
    }
    function onData(chunk: Buffer): void {
      received += chunk.length
      if (received > limit) return fail(tooLarge(limit))
      chunks.push(chunk)
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

    request.on('data', onData)
    request.on('end', onEnd)
    request.on('error', onError)
    request.on('close', onClose)
  })
}

function tooLarge(limit: number): WebhookError {
  return new WebhookError('ERR_BODY_TOO_LARGE', `the body is larger than ${limit} bytes`)
}

/**
 * The refusal for a request whose raw bytes another body parser already took. It is the receiver's
 * setup that is wrong, not the request, hence a 500 whose message (for the logs) says how to fix it.
 */
export function rawBodyUnavailable(): WebhookError {
  return new WebhookError('ERR_RAW_BODY_UNAVAILABLE', RAW_BODY_GONE)
}
