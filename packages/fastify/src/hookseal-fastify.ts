import { Readable } from 'node:stream'
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RequestPayload,
  RouteOptions,
} from 'fastify'
import fp from 'fastify-plugin'
import { WebhookError } from '@hookseal/core'
import {
  createWebhookRoute,
  problemResponse,
  readRawBody,
  shouldReportRefusal,
} from '@hookseal/core/http'
import type { WebhookRoute } from '@hookseal/core/http'
import type { HooksealFastifyOptions } from './types.js'

type RouteErrorHandler = NonNullable<RouteOptions['errorHandler']>
type RouteSetting = boolean | Partial<HooksealFastifyOptions> | undefined

/** Marks a route's config once the plugin has set the route up, so that a route it missed fails. */
const PREPARED = Symbol('@hookseal/fastify prepared')

/** The body core parsed, kept from `preParsing` until Fastify's own parser has run. */
const acceptedBodies = new WeakMap<FastifyRequest, unknown>()

/** Refusals raised by a route in `'respond'` mode, which its error handler answers itself. */
const refusals = new WeakSet<Error>()

const PAYLOAD_FIX =
  'an earlier onRequest or preParsing hook drained the body stream; such a hook must return a ' +
  'fresh stream of the same bytes from preParsing, or leave the body of webhook routes unread'

const ROUTE_MISSED_FIX =
  'sets config.webhook but @hookseal/fastify never set it up, so its requests cannot be ' +
  'verified: it was declared before the plugin was registered, or outside the scope the plugin ' +
  'was registered in; `await app.register(hooksealFastify, …)` in the root scope, or in a scope ' +
  'that contains the route, before declaring webhook routes'

/** Apps whose every route the plugin already guards, whichever scope it was registered in. */
const guardedApps = new WeakSet<FastifyInstance>()

/**
 * Fastify plugin that verifies JWT-signed webhooks on the routes that opt in with
 * `config: { webhook: true }` (or per-route options), reading their raw bytes in a `preParsing`
 * hook and leaving every other route to Fastify's own body parsing.
 *
 * On success `request.webhook` holds the verified webhook and, from the route's `preValidation`
 * hooks on, `request.body` the parsed JSON (raw bytes for other content types); on failure the
 * route answers `application/problem+json` with the error's code and status, or with
 * `onError: 'forward'` the `WebhookError` goes to the app's error handler. Register it, awaited,
 * before the routes.
 *
 * @example
 * ```ts
 * await app.register(hooksealFastify, { verifier })
 * app.post('/webhooks', { config: { webhook: true } }, async (request) => {
 *   return { from: request.webhook?.issuer, event: request.body }
 * })
 * ```
 */
export const hooksealFastify = fp(
  async function hooksealFastify(fastify: FastifyInstance, options: HooksealFastifyOptions) {
    const { verifier, limit, bodyTimeout, authorize, validateBody, onError } = options
    const defaults: HooksealFastifyOptions = {
      verifier,
      limit,
      bodyTimeout,
      authorize,
      validateBody,
      onError,
    }
    // Bad plugin options fail at registration, not at the first webhook route or request.
    createWebhookRoute(defaults)

    // Registered twice, every webhook would be verified twice and refused as its own replay.
    if (fastify.hasRequestDecorator('webhook')) {
      throw new Error(
        '@hookseal/fastify: request.webhook already exists; register the plugin once, in the ' +
          'scope of the webhook routes or a parent of it',
      )
    }
    fastify.decorateRequest('webhook', null)
    fastify.addHook('onRoute', (routeOptions) => protectRoute(routeOptions, defaults))
    guardEveryRoute(rootOf(fastify))
  },
  { fastify: '4.x || 5.x', name: '@hookseal/fastify' },
)

function protectRoute(routeOptions: RouteOptions, defaults: HooksealFastifyOptions): void {
  const setting: RouteSetting = routeOptions.config?.webhook
  if (setting === undefined || setting === false) return
  const name = `@hookseal/fastify: ${String(routeOptions.method)} ${routeOptions.url}`
  if (setting !== true && (typeof setting !== 'object' || setting === null)) {
    throw new TypeError(`${name}: config.webhook must be true or an options object`)
  }

  let route: WebhookRoute<FastifyRequest>
  try {
    route = createWebhookRoute(setting === true ? defaults : { ...defaults, ...setting })
  } catch (cause) {
    throw new TypeError(`${name}: ${(cause as Error).message}`, { cause })
  }
  if (routeOptions.bodyLimit !== undefined && routeOptions.bodyLimit !== route.limit) {
    throw new TypeError(
      `${name}: bodyLimit ${routeOptions.bodyLimit} differs from the webhook limit ${route.limit}; ` +
        'set config.webhook.limit instead, it governs webhook routes',
    )
  }

  // Past the webhook limit the preParsing hook has refused the request already; below it,
  // Fastify's own limit must not answer 413 in its own format.
  routeOptions.bodyLimit = route.limit
  const config = { ...routeOptions.config, [PREPARED]: true }
  routeOptions.config = config
  routeOptions.preParsing = [verifyBeforeParsing(route), ...asArray(routeOptions.preParsing)]
  routeOptions.preValidation = [attachWebhookBody, ...asArray(routeOptions.preValidation)]
  if (!route.forwardErrors) {
    routeOptions.errorHandler = answerRefusals(routeOptions.errorHandler)
  }
}

/**
 * Verifies in `preParsing`, before Fastify's content-type parsing, so that a request of any content
 * type, empty or malformed, is authenticated first (401 rather than Fastify's 400 or 415), and so
 * that the parser sees only bytes the verifier has accepted.
 */
function verifyBeforeParsing(route: WebhookRoute<FastifyRequest>) {
  async function accept(request: FastifyRequest, payload: RequestPayload): Promise<Readable> {
    const declaredLength = Number(request.headers['content-length'])
    const raw = await readRawBody(payload, route.limit, {
      declaredLength,
      fix: PAYLOAD_FIX,
      timeout: route.bodyTimeout,
    })
    const { webhook, body } = await route.accept(
      // rawHeaders keeps repeated headers, which the verifier must see to refuse them.
      { method: request.method, url: request.url, headers: request.raw.rawHeaders, body: raw },
      request,
    )
    request.webhook = webhook
    acceptedBodies.set(request, body)
    const fresh: RequestPayload = streamOf(raw)
    // A decompressing hook before this one reports the bytes received on the wire, which Fastify
    // compares with Content-Length.
    if (payload.receivedEncodedLength !== undefined) {
      fresh.receivedEncodedLength = payload.receivedEncodedLength
    }
    return fresh
  }

  return function verifyWebhook(
    request: FastifyRequest,
    _reply: FastifyReply,
    payload: RequestPayload,
    done: (error: Error | null, payload?: RequestPayload) => void,
  ): void {
    accept(request, payload).then(
      (fresh) => done(null, fresh),
      (error: unknown) => {
        if (error instanceof WebhookError && !route.forwardErrors) refusals.add(error)
        done(error instanceof Error ? error : new Error(String(error), { cause: error }))
      },
    )
  }
}

/**
 * A stream of the bytes already read, for Fastify's parser: one chunk, pushed when first asked
 * for. (`Readable.from` would go through an async iterator, a promise per read, for the same.)
 */
function streamOf(raw: Buffer): Readable {
  return new Readable({
    read() {
      this.push(raw)
      this.push(null)
    },
  })
}

/** Replaces what Fastify's parser made of the body with what core parsed and checked. */
function attachWebhookBody(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  request.body = acceptedBodies.get(request)
  done()
}

/**
 * A route-level error handler that answers the route's refusals as problem+json and leaves every
 * other error to the route's own handler, or, by rethrowing, to the app's.
 */
function answerRefusals(routeHandler: RouteErrorHandler | undefined): RouteErrorHandler {
  return function answerRefusals(
    this: FastifyInstance,
    error: FastifyError,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (!(error instanceof WebhookError) || !refusals.has(error)) {
      if (routeHandler !== undefined) return routeHandler.call(this, error, request, reply)
      throw error
    }
    // Reported where Fastify reports errors, as its own error handler logs a 5xx.
    if (shouldReportRefusal(error)) request.log.error({ err: error }, error.message)
    const { status, headers, payload } = problemResponse(error)
    // Bytes rather than a string: for a string, Fastify appends `; charset=utf-8` to the type.
    reply.code(status).headers(headers).send(payload)
  }
}

/**
 * The plugin's hooks reach only the scope it is registered in and the scopes inside it, but a route
 * may opt in anywhere: in a sibling scope, or at the root while the plugin sits in a child. Such a
 * route would run unverified, with `request.webhook` null. So, once per app, the root gets hooks
 * that fail closed: routes opting in that are declared from now on and never set up make `ready()`
 * (and `listen()`) reject; any other one (declared before the plugin loaded) is refused on every
 * request.
 */
function guardEveryRoute(root: FastifyInstance): void {
  if (guardedApps.has(root)) return
  guardedApps.add(root)

  const optedIn: RouteOptions[] = []
  root.addHook('onRoute', (routeOptions) => {
    if (optsIn(routeOptions.config)) optedIn.push(routeOptions)
  })
  // The routes' own onRoute hooks have all run by now, wherever the plugin sits.
  root.addHook('onReady', function refuseUnprotectedRoutes(done) {
    const missed = optedIn.find((routeOptions) => !isPrepared(routeOptions.config))
    done(missed === undefined ? undefined : routeUnprotected(missed.method, missed.url))
  })
  root.addHook('onRequest', function refuseUnprotectedRequest(request, _reply, done) {
    const { config, method, url } = request.routeOptions
    done(optsIn(config) && !isPrepared(config) ? routeUnprotected(method, url) : undefined)
  })
}

type WebhookConfig = { webhook?: RouteSetting; [PREPARED]?: true } | undefined

function optsIn(config: WebhookConfig): boolean {
  return config?.webhook !== undefined && config.webhook !== false
}

function isPrepared(config: WebhookConfig): boolean {
  return config?.[PREPARED] === true
}

function routeUnprotected(method: unknown, url: unknown): WebhookError {
  return new WebhookError(
    'ERR_ROUTE_UNPROTECTED',
    `@hookseal/fastify: ${String(method)} ${String(url)} ${ROUTE_MISSED_FIX}`,
  )
}

/**
 * The app's root instance. Fastify makes each encapsulated scope with `Object.create(parent)`, so
 * the root is the last Fastify instance up the prototype chain of any scope.
 */
function rootOf(instance: FastifyInstance): FastifyInstance {
  let root = instance
  for (
    let parent: unknown = Object.getPrototypeOf(root);
    isFastifyInstance(parent);
    parent = Object.getPrototypeOf(parent)
  ) {
    root = parent
  }
  return root
}

function isFastifyInstance(value: unknown): value is FastifyInstance {
  const candidate = value as Partial<FastifyInstance> | null
  return typeof candidate?.addHook === 'function' && typeof candidate.route === 'function'
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}
