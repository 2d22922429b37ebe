import { connect } from 'node:net'

export interface RawExchange {
  /** Status code of the response, or 0 if none came. */
  status: number
  /** Bytes of request body written before the response arrived. */
  bodyBytesSent: number
  /** The response head and whatever body arrived. */
  response: string
  /** The server closed the connection (or reset it) before the client gave up. */
  closedByServer: boolean
}

export interface RawRequestOptions {
  url: string
  /** Header lines without the final blank line, e.g. `['X-Signature: …']`. */
  headers: string[]
  /** Total body bytes to offer; sending stops as soon as a response arrives. */
  bodyBytes?: number
  /** Send the body with chunked transfer coding instead of a Content-Length. */
  chunked?: boolean
  /** Announce this Content-Length instead of `bodyBytes` (to test early refusal). */
  declaredLength?: number
  /** Give up after this long. @default 5000 */
  timeoutMs?: number
  /** Send the body one byte at a time, this many milliseconds apart, like a slow client. */
  trickleMs?: number
  /**
   * After the response starts, wait for the server to close the connection (up to `timeoutMs`)
   * instead of stopping shortly after the first bytes.
   */
  waitForClose?: boolean
}

const CHUNK = Buffer.alloc(16 * 1024, 0x61)

/**
 * Sends one POST over a plain socket, for what HTTP clients will not do: repeat a header, or keep a
 * body flowing to see when the server answers. Writes slowly enough that the server's answer is
 * seen before the whole body has gone out; stops writing at the first response byte.
 */
export function rawPost(options: RawRequestOptions): Promise<RawExchange> {
  const { url, headers, bodyBytes = 0, chunked = false, timeoutMs = 5000, trickleMs } = options
  const { hostname, port, pathname } = new URL(url)
  const framing = chunked
    ? 'Transfer-Encoding: chunked'
    : `Content-Length: ${options.declaredLength ?? bodyBytes}`
  const head = [`POST ${pathname} HTTP/1.1`, `Host: ${hostname}:${port}`, framing, ...headers]

  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let response = ''
    let sent = 0
    let answered = false
    let finished = false
    const timer = setTimeout(() => finish(false), timeoutMs)

    function finish(closedByServer: boolean): void {
      if (finished) return
      finished = true
      clearTimeout(timer)
      socket.destroy()
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0)
      resolve({ status, bodyBytesSent: sent, response, closedByServer })
    }

    async function writeBody(): Promise<void> {
      while (!answered && sent < bodyBytes && !socket.destroyed) {
        const size = trickleMs === undefined ? Math.min(CHUNK.length, bodyBytes - sent) : 1
        const piece = CHUNK.subarray(0, size)
        const frame = chunked
          ? Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
          : piece
        if (!socket.write(frame)) await new Promise((done) => socket.once('drain', done))
        sent += size
        await new Promise((done) => setTimeout(done, trickleMs ?? 2))
      }
      if (!answered && chunked && !socket.destroyed) socket.write('0\r\n\r\n')
    }

    socket.on('connect', () => {
      socket.write(`${head.join('\r\n')}\r\n\r\n`)
      writeBody().catch(reject)
    })
    socket.on('data', (data) => {
      answered = true
      response += data.toString('latin1')
      // The head and a short problem body arrive together; give the rest a moment, then stop.
      if (options.waitForClose !== true) setTimeout(() => finish(false), 50)
    })
    socket.on('end', () => finish(true))
    socket.on('error', () => finish(true))
    socket.on('close', () => finish(true))
  })
}
