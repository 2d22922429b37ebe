import type { ServerResponse } from 'node:http'

/** What a streamed response got to before the client hung up, read live. */
export interface StreamedResponse {
  /** Bytes written so far, `head` included. */
  readonly written: number
  /** Whether all `total` bytes were written and the response ended. */
  readonly finished: boolean
  /** Whether the connection closed before the response ended: the client stopped reading. */
  readonly closedEarly: boolean
}

export interface StreamResponseOptions {
  /** Written once, first. @default nothing */
  readonly head?: Buffer
  /** Written again and again after `head`, one write a millisecond. */
  readonly chunk: Buffer
  /** Bytes after which the response ends, if the client is still reading. */
  readonly total: number
}

/**
 * Streams a long response body (status and headers already written) until `total` bytes or until
 * the client hangs up, whichever comes first, so a test can prove that a size cap stopped reading
 * long before the end.
 *
 * @example
 * ```ts
 * res.writeHead(200, { 'content-type': 'application/json' })
 * const stream = streamResponse(res, { chunk: Buffer.alloc(64 * 1024, ' '), total: 10 * MiB })
 * // … later
 * expect(stream.finished).toBe(false)
 * ```
 */
export function streamResponse(
  res: ServerResponse,
  options: StreamResponseOptions,
): StreamedResponse {
  const state = { written: 0, finished: false, closedEarly: false }
  res.on('close', () => {
    state.closedEarly = !res.writableFinished
  })
  if (options.head !== undefined) {
    res.write(options.head)
    state.written = options.head.length
  }
  const writeMore = (): void => {
    if (res.destroyed) return
    if (state.written >= options.total) {
      state.finished = true
      res.end()
      return
    }
    res.write(options.chunk)
    state.written += options.chunk.length
    setTimeout(writeMore, 1)
  }
  writeMore()
  return state
}
