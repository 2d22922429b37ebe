import { ConnectionError } from '../connections/connection-error.js'
import type { CompletedConnection, Connections } from '../connections/types.js'
import { problemResponse } from './problem-response.js'

/** Options of {@link createConnectionRoutes}; `Request` is the framework's request (or context). */
export interface ConnectionRoutesOptions<Request> {
  /**
   * Whether this request may connect `customer`: typically, whether the signed-in user is that
   * customer's super-user. Required: without it anyone could bind any customer to an account of
   * their own choosing. `false` is answered 403.
   */
  authorize: (customer: string, request: Request) => boolean | Promise<boolean>
  /**
   * Called once a connection is stored. Return a URL to send the browser there (303); otherwise
   * the callback answers 200 with `{ "customer": …, "connected": true }`.
   */
  onConnected?: (
    connection: CompletedConnection,
    request: Request,
  ) => void | string | URL | Promise<void | string | URL>
}

/** An answer ready to send: status, headers and the exact body bytes. */
export interface ConnectionRouteResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly payload: Buffer
}

/** The two connection routes, for an adapter to mount. */
export interface ConnectionRoutes<Request> {
  /** `GET /connect/:customer`: checks `authorize`, then redirects (302) to the authorization URL. */
  connect(customer: string, request: Request): Promise<ConnectionRouteResponse>
  /** `GET /callback`: `url` is the request's path and query; completes the connection. */
  callback(url: string, request: Request): Promise<ConnectionRouteResponse>
  /**
   * Answers `GET /connect/:customer` and `GET /callback` for a path relative to where the routes
   * are mounted, or resolves `undefined` for any other request.
   */
  handle(
    method: string,
    url: string,
    request: Request,
  ): Promise<ConnectionRouteResponse | undefined>
}

/** Connection pages hold one-time state and tokens' outcomes: no cache may keep them. */
const NO_STORE = { 'cache-control': 'no-store' }
const CONNECT_PATH = /^\/connect\/([^/]+)\/?$/
const CUSTOMER = /^[\x21-\x7e]{1,256}$/

function refusal(error: ConnectionError): ConnectionRouteResponse {
  const { status, headers, payload } = problemResponse(error)
  return { status, headers: { ...headers, ...NO_STORE }, payload }
}

function customerOf(segment: string): string | undefined {
  try {
    const customer = decodeURIComponent(segment)
    return CUSTOMER.test(customer) ? customer : undefined
  } catch {
    return undefined
  }
}

/**
 * Creates the framework-free connection routes the adapters mount with one call: `GET
 * /connect/:customer` sends the customer's super-user to the authorization server, and `GET
 * /callback` (the registered redirect URI) completes the connection. A bad, expired or replayed
 * `state`, an `error=` answer from the server and a missing `code` are answered as RFC 9457
 * problems with a 4xx, like the verifier's refusals; an authorization server that is down, 503.
 *
 * > [!NOTE]
 * > Mount the routes where `<mount>/callback` is the `redirectUri` given to `createConnections`,
 * > and sign the user in before `/connect/:customer`: `authorize` decides who may connect whom.
 *
 * @example
 * ```ts
 * const routes = createConnectionRoutes(connections, {
 *   authorize: (customer, req) => isSuperUserOf(req, customer),
 * })
 * const answer = await routes.handle('GET', '/connect/acme', req)
 * ```
 */
export function createConnectionRoutes<Request>(
  connections: Connections,
  options: ConnectionRoutesOptions<Request>,
): ConnectionRoutes<Request> {
  if (typeof connections !== 'object' || connections === null) {
    throw new TypeError('createConnectionRoutes: connections must come from createConnections')
  }
  if (typeof options !== 'object' || options === null || typeof options.authorize !== 'function') {
    throw new TypeError(
      'createConnectionRoutes: authorize is required: it decides who may connect a customer',
    )
  }
  const { authorize, onConnected } = options
  if (onConnected !== undefined && typeof onConnected !== 'function') {
    throw new TypeError('createConnectionRoutes: onConnected must be a function')
  }

  async function connect(customer: string, request: Request): Promise<ConnectionRouteResponse> {
    if (!CUSTOMER.test(customer)) {
      return refusal(
        new ConnectionError(
          'ERR_CONNECTION_CUSTOMER_INVALID',
          'the customer must be 1 to 256 printable ASCII characters without spaces',
        ),
      )
    }
    if ((await authorize(customer, request)) !== true) {
      return refusal(
        new ConnectionError(
          'ERR_CONNECTION_FORBIDDEN',
          `this request may not connect ${customer}`,
          {
            customer,
          },
        ),
      )
    }
    try {
      const location = await connections.begin(customer)
      return {
        status: 302,
        headers: { location: location.href, ...NO_STORE },
        payload: Buffer.alloc(0),
      }
    } catch (error) {
      if (error instanceof ConnectionError) return refusal(error)
      throw error
    }
  }

  async function callback(url: string, request: Request): Promise<ConnectionRouteResponse> {
    let connection: CompletedConnection
    try {
      // Only the query matters; the base merely makes a relative path parseable.
      connection = await connections.complete(new URL(url, 'http://callback.invalid'))
    } catch (error) {
      if (error instanceof ConnectionError) return refusal(error)
      throw error
    }
    const next = await onConnected?.(connection, request)
    if (next !== undefined) {
      return {
        status: 303,
        headers: { location: String(next), ...NO_STORE },
        payload: Buffer.alloc(0),
      }
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/json', ...NO_STORE },
      payload: Buffer.from(JSON.stringify({ customer: connection.customer, connected: true })),
    }
  }

  async function handle(
    method: string,
    url: string,
    request: Request,
  ): Promise<ConnectionRouteResponse | undefined> {
    if (method !== 'GET') return undefined
    const path = url.split('?', 1)[0] ?? ''
    if (path === '/callback' || path === '/callback/') return callback(url, request)
    const segment = CONNECT_PATH.exec(path)?.[1]
    if (segment === undefined) return undefined
    const customer = customerOf(segment)
    if (customer === undefined) {
      return refusal(
        new ConnectionError(
          'ERR_CONNECTION_CUSTOMER_INVALID',
          'the customer must be 1 to 256 printable ASCII characters without spaces',
        ),
      )
    }
    return connect(customer, request)
  }

  return Object.freeze({ connect, callback, handle })
}
