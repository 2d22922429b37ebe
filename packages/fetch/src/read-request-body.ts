import { bodyTimedOut, bodyTooLarge, rawBodyUnavailable } from '@hookseal/core/http'
import { WebhookError } from '@hookseal/core'

const FIX = 'verify the request before anything reads its body (request.json(), request.text())'

/**
 * Reads a `Request` body as raw bytes under the same rules as the Node adapters: 413
 * (`ERR_BODY_TOO_LARGE`) as soon as it passes `limit`, at once when Content-Length says so, else
 * while reading, without reading the rest; 408 (`ERR_BODY_TIMEOUT`) when it is still incomplete
 * after `timeout` ms; `ERR_RAW_BODY_UNAVAILABLE` when something already read it.
 */
export async function readRequestBody(
  request: Request,
  limit: number,
  timeout: number,
): Promise<Buffer> {
  if (Number(request.headers.get('content-length')) > limit) throw bodyTooLarge(limit)
  if (request.bodyUsed) throw rawBodyUnavailable(FIX)
  if (request.body === null) return Buffer.alloc(0)

  const reader = request.body.getReader()
  let timer: ReturnType<typeof setTimeout> | undefined
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(bodyTimedOut(timeout)), timeout)
  })
  const chunks: Uint8Array[] = []
  let received = 0
  try {
    for (;;) {
      const chunk = await Promise.race([reader.read(), timedOut]).catch((cause: unknown) => {
        if (cause instanceof WebhookError) throw cause
        throw new WebhookError('ERR_BODY_INCOMPLETE', 'the request body could not be read', {
          cause,
        })
      })
      if (chunk.done) return Buffer.concat(chunks, received)
      received += chunk.value.length
      if (received > limit) throw bodyTooLarge(limit)
      chunks.push(chunk.value)
    }
  } catch (error) {
    // Stop reading: the refusal goes out now, and the rest of the body is never pulled in.
    reader.cancel().catch(() => {})
    throw error
  } finally {
    clearTimeout(timer)
  }
}
