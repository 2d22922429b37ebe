import { createServer as createHttpServer } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { ServerOptions as HttpsServerOptions } from 'node:https'
import type { AddressInfo } from 'node:net'

/** A request as the receiver saw it, body included. */
export interface ReceivedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  /** `performance.now()` when the whole request had arrived. */
  readonly at: number
}

/**
 * How to answer one request: a status (with headers and body), `'hang'` to never answer, or a
 * function that writes the response itself.
 */
export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string }
  | 'hang'
  | ((request: ReceivedRequest, res: ServerResponse) => void)

/** A webhook receiver on 127.0.0.1 that records what it gets and answers from a script. */
export interface Receiver {
  /** `http(s)://127.0.0.1:<port>/hooks` */
  readonly url: string
  readonly port: number
  readonly requests: readonly ReceivedRequest[]
  /** TCP connections accepted, whether or not a request followed. */
  readonly connections: number
  /** TCP connections accepted and not yet closed. */
  readonly openConnections: number
  /** Queues replies for the next requests, in order; once used up, `fallback` answers. */
  reply(...replies: Reply[]): void
  /** The answer when no queued reply is left. @default { status: 200 } */
  setFallback(reply: Reply): void
  close(): Promise<void>
}

export interface ReceiverOptions {
  /** Serves HTTPS with these settings instead of HTTP. */
  readonly tls?: HttpsServerOptions
  /** @default an ephemeral port */
  readonly port?: number
}

function answer(reply: Reply, request: ReceivedRequest, res: ServerResponse): void {
  if (reply === 'hang') return
  if (typeof reply === 'function') return reply(request, res)
  res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers })
  res.end(reply.body ?? '')
}

/**
 * Starts a receiver on an ephemeral loopback port.
 *
 * @example
 * ```ts
 * const receiver = await startReceiver()
 * receiver.reply({ status: 503 }, { status: 200 })
 * afterAll(() => receiver.close())
 * ```
 */
export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const requests: ReceivedRequest[] = []
  const queue: Reply[] = []
  let fallback: Reply = { status: 200 }
  let connections = 0
  let closed = 0

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: performance.now(),
      }
      requests.push(request)
      answer(queue.shift() ?? fallback, request, res)
    })
  }

  const server: Server =
    options.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer(options.tls, listener)
  // TCP connections, counted before any TLS handshake: a refused destination must see none at all.
  server.on('connection', (socket) => {
    connections++
    socket.once('close', () => closed++)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const scheme = options.tls === undefined ? 'http' : 'https'

  return {
    url: `${scheme}://127.0.0.1:${port}/hooks`,
    port,
    requests,
    get connections() {
      return connections
    },
    get openConnections() {
      return connections - closed
    },
    reply(...replies) {
      queue.push(...replies)
    },
    setFallback(reply) {
      fallback = reply
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
