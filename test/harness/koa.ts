import type { Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import type Koa from 'koa'
import request from 'supertest'
import { publishWebhookSender, webhookVerifier } from '@hookseal/koa'
import { deliveryOf, emitted, notEmitted } from './emit.js'
import type {
  AdapterHarness,
  HarnessOptions,
  HarnessRequest,
  HarnessResponse,
  ReportedError,
  RunningApp,
  SenderAppOptions,
  SenderHarness,
} from './types.js'

/** The `Koa` class, as both majors export it. */
export type KoaClass = typeof Koa

// The aliased majors ship no types and cannot be augmented from a module, so they are loaded
// through require and typed by @types/koa, the API the adapter is written against.
const require = createRequire(import.meta.url)

/** Each supported major of Koa, under the name its tests report. */
export const koaMajors: ReadonlyArray<{ name: string; Koa: KoaClass }> = [
  { name: 'koa 2', Koa: require('koa2') as KoaClass },
  { name: 'koa 3', Koa: require('koa3') as KoaClass },
]

export const koaHarnesses: AdapterHarness[] = koaMajors.map(({ name, Koa }) => ({
  name,
  start: (options) => startApp(buildApp(Koa, options)),
}))

export const koaSenderHarnesses: SenderHarness[] = koaMajors.map(({ name, Koa }) => ({
  name,
  start: (options) => startApp(buildSenderApp(Koa, options)),
}))

/**
 * The app every harness runs. For `parser: 'documented'` it is the README's example: the webhook
 * router is mounted before `bodyParser()`, which then parses JSON for every route after it.
 */
export function buildApp(Koa: KoaClass, options: HarnessOptions): Koa {
  // Everything else the harness is given is the adapter's own options, passed as they are.
  const { onWebhook, onReport, parser = 'none', ...routeOptions } = options
  const app = new Koa()
  // Refusals with a 5xx are emitted as app errors; with no listener Koa would print each one.
  app.on('error', (error: ReportedError) => onReport?.(error))
  if (routeOptions.onError === 'forward') app.use(appErrorHandler)

  const webhooks = new Router()
  webhooks.post('/webhooks', webhookVerifier(routeOptions), (ctx) => {
    const { issuer, kid, id } = ctx.state.webhook
    const body = ctx.request.body
    onWebhook?.({
      webhook: ctx.state.webhook,
      webhookId: ctx.get('webhook-id') || undefined,
      body,
    })
    const bodyIsBytes = Buffer.isBuffer(body)
    ctx.body = { issuer, kid, id, bodyIsBytes, body: bodyIsBytes ? body.toString('utf8') : body }
  })

  const api = new Router()
  const answerOther = (ctx: Koa.Context) => {
    ctx.body = { body: ctx.request.body }
  }

  switch (parser) {
    case 'none':
      api.post('/other', bodyParser(), answerOther)
      app.use(webhooks.routes())
      app.use(api.routes())
      break
    case 'documented':
      app.use(webhooks.routes())
      app.use(bodyParser())
      api.post('/other', answerOther)
      app.use(api.routes())
      break
    case 'drained':
      app.use(drainBody)
      app.use(webhooks.routes())
      app.use(api.routes())
      break
    case 'naive':
      app.use(bodyParser())
      app.use(webhooks.routes())
      api.post('/other', answerOther)
      app.use(api.routes())
      break
  }
  return app
}

/**
 * A sender app as the README shows it: `publishWebhookSender` first, then a route whose handler
 * delivers with `ctx.webhooks`.
 */
export function buildSenderApp(Koa: KoaClass, options: SenderAppOptions): Koa {
  const app = new Koa()
  app.silent = true
  publishWebhookSender(app, options)
  const router = new Router()
  router.post('/emit', bodyParser(), async (ctx) => {
    try {
      ctx.body = emitted(await ctx.webhooks.send(deliveryOf(ctx.request.body)))
    } catch (error) {
      const refusal = notEmitted(error)
      if (refusal === undefined) throw error
      ctx.status = 502
      ctx.body = refusal
    }
  })
  app.use(router.routes())
  return app
}

/** A middleware that reads every body to its end and keeps nothing. */
async function drainBody(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  for await (const chunk of ctx.req) void chunk
  await next()
}

/**
 * An app's own error handler, as a receiver would write one for `onError: 'forward'`, honouring the
 * error's `headers` as Koa's default one does.
 */
async function appErrorHandler(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  try {
    await next()
  } catch (error) {
    const { status, code, name, headers } = error as {
      status?: unknown
      code?: unknown
      name?: unknown
      headers?: Record<string, string>
    }
    if (headers !== undefined) ctx.set(headers)
    ctx.status = typeof status === 'number' ? status : 500
    ctx.body = { handledBy: 'app', code, name }
  }
}

/** Listens on an ephemeral loopback port and drives the app through supertest. */
export async function startApp(app: Koa): Promise<RunningApp> {
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
    listening.once('error', reject)
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    send: (req) => send(server, req),
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        server.closeAllConnections()
      })
    },
  }
}

async function send(server: Server, req: HarnessRequest): Promise<HarnessResponse> {
  const { path = '/webhooks', headers, body } = req
  // The bytes go out as given: superagent adds a form content type to a string body, and would
  // JSON-encode a Buffer sent as application/json without a serializer of its own.
  const response = await request(server)
    .post(path)
    .set(headers)
    .serialize((bytes) => bytes)
    .responseType('blob')
    .send(Buffer.from(body))

  const responseHeaders: Record<string, string | undefined> = {}
  for (const [name, value] of Object.entries(response.headers as Record<string, unknown>)) {
    responseHeaders[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  const text = Buffer.isBuffer(response.body) ? response.body.toString('utf8') : ''
  const isJson = /^application\/(?:[\w.+-]+\+)?json\b/i.test(responseHeaders['content-type'] ?? '')
  return {
    status: response.status,
    headers: responseHeaders,
    body: isJson && text !== '' ? JSON.parse(text) : text,
    text,
  }
}
