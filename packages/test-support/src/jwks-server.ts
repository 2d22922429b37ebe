import { createServer as createHttpServer } from 'node:http'
import type { IncomingHttpHeaders, RequestListener, Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { ServerOptions as HttpsServerOptions } from 'node:https'
import type { AddressInfo } from 'node:net'

/**
 * How the server answers when no handler is set: `serve` the JWKS, answer 503 (`down`), accept the
 * request and never write (`hang`), or drop the connection (`reset`).
 */
export type JwksServerBehaviour = 'serve' | 'down' | 'hang' | 'reset'

export interface JwksServerOptions {
  /** Answers every request instead of the built-in behaviours; requests are still counted. */
  readonly handler?: RequestListener
  /** Serves HTTPS with this key and certificate (and any other TLS settings) instead of HTTP. */
  readonly tls?: HttpsServerOptions
  /** Path of the JWKS in `url`. @default '/.well-known/jwks.json' */
  readonly path?: string
  /** Holds every served JWKS back this long, standing in for the round trip to a real sender. */
  readonly delayMs?: number
  /** Headers sent with every served JWKS from the start (see `setHeaders`). */
  readonly headers?: Record<string, string>
}

/** A JWKS endpoint on 127.0.0.1 that counts what it is asked. */
export interface JwksServer {
  readonly url: string
  /** Requests received (any path), including those a custom handler answered. */
  readonly requestCount: number
  /** Headers of the most recent request. */
  readonly lastHeaders: IncomingHttpHeaders | undefined
  setKeys(jwks: object): void
  /** Extra headers sent with every served JWKS, such as `cache-control`. */
  setHeaders(headers: Record<string, string>): void
  setBehaviour(behaviour: JwksServerBehaviour): void
  setHandler(handler: RequestListener | undefined): void
  /** Stops listening and drops every open connection, including hanging ones. */
  close(): Promise<void>
}

/**
 * Starts a counting JWKS endpoint on an ephemeral loopback port.
 *
 * @example
 * ```ts
 * const server = await startJwksServer(jwksOf(key))
 * const keySet = createRemoteKeySet({ jwksUri: server.url, allowInsecureHttp: true })
 * afterAll(() => server.close())
 * ```
 */
export async function startJwksServer(
  keys: object = { keys: [] },
  options: JwksServerOptions = {},
): Promise<JwksServer> {
  let document = keys
  let headers: Record<string, string> = options.headers ?? {}
  let behaviour: JwksServerBehaviour = 'serve'
  let handler = options.handler
  let requestCount = 0
  let lastHeaders: IncomingHttpHeaders | undefined

  const listener: RequestListener = (req, res) => {
    requestCount++
    lastHeaders = req.headers
    if (handler !== undefined) return handler(req, res)
    switch (behaviour) {
      case 'serve': {
        const body = JSON.stringify(document)
        const answer = (): void => {
          res.writeHead(200, { 'content-type': 'application/jwk-set+json', ...headers })
          res.end(body)
        }
        if (options.delayMs === undefined) answer()
        else setTimeout(answer, options.delayMs)
        return
      }
      case 'down':
        res.writeHead(503, { 'content-type': 'text/plain' })
        res.end('unavailable')
        return
      case 'hang':
        return
      case 'reset':
        req.socket.destroy()
        return
    }
  }

  const server: Server =
    options.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer(options.tls, listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const scheme = options.tls === undefined ? 'http' : 'https'

  return {
    url: `${scheme}://127.0.0.1:${port}${options.path ?? '/.well-known/jwks.json'}`,
    get requestCount() {
      return requestCount
    },
    get lastHeaders() {
      return lastHeaders
    },
    setKeys(jwks) {
      document = jwks
    },
    setHeaders(next) {
      headers = next
    },
    setBehaviour(next) {
      behaviour = next
    },
    setHandler(next) {
      handler = next
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}

/**
 * Closes `server`, dropping any connection a test left hanging, and starts a fresh one serving
 * `keys`: no handler, behaviour, headers or count outlives the test that set them.
 *
 * @example
 * ```ts
 * afterEach(async () => {
 *   server = await restartJwksServer(server, jwksOf(key))
 * })
 * ```
 */
export async function restartJwksServer(server: JwksServer, keys: object): Promise<JwksServer> {
  await server.close()
  return startJwksServer(keys)
}
