import type { EventEmitter } from 'node:events'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import type express from 'express'
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express'
import request from 'supertest'
import { keepRawBody, publishWebhookSender, webhookVerifier } from '@hookseal/express'
import { deliveryOf, emitted, notEmitted } from './emit.js'
import type {
  AdapterHarness,
  HarnessOptions,
  HarnessResponse,
  ReceivedWebhook,
  ReportedError,
  RunningApp,
  RunningServer,
  SenderAppOptions,
  SenderHarness,
} from './types.js'

type ExpressModule = typeof express

// Both majors are installed under aliases that have no type declarations of their own; they share
// the Express 5 types, which cover everything these apps use.
const load = createRequire(import.meta.url)

/** Both supported majors of Express, for tests that build their own apps. */
export const expressMajors: ReadonlyArray<{
  readonly name: string
  readonly express: ExpressModule
}> = [
  { name: 'express 4', express: load('express4') as ExpressModule },
  { name: 'express 5', express: load('express5') as ExpressModule },
]

/**
 * The app every shared test runs against. For `parser: 'documented'` the middleware order below is
 * exactly what the README tells users to write.
 */
export function buildExpressApp(
  framework: ExpressModule,
  options: HarnessOptions,
): express.Express {
  // Everything else the harness is given is the adapter's own options, passed as they are.
  const { onWebhook, onReport, parser = 'none', ...routeOptions } = options
  const app = framework()
  // Express's types only name the 'mount' event; the app is an EventEmitter all the same.
  ;(app as EventEmitter).on('error', (error: ReportedError) => onReport?.(error))

  if (parser === 'documented') app.use(framework.json({ verify: keepRawBody }))
  if (parser === 'naive') app.use(framework.json())
  if (parser === 'drained') app.use(drainBody)

  app.post('/webhooks', webhookVerifier(routeOptions), answerWebhook(onWebhook))

  const otherParsers = parser === 'none' ? [framework.json()] : []
  app.post('/other', ...otherParsers, (req: Request, res: Response) => {
    res.json({ body: req.body })
  })

  if (routeOptions.onError === 'forward') app.use(answerError)
  return app
}

/** A middleware that reads every body to its end and keeps nothing. */
function drainBody(req: Request, _res: Response, next: NextFunction): void {
  req.on('end', () => next())
  req.resume()
}

function answerWebhook(onWebhook?: (received: ReceivedWebhook) => void) {
  return function answerWebhook(req: Request, res: Response): void {
    const { webhook, body } = req
    if (webhook === undefined) throw new Error('the protected route ran without a verified webhook')
    onWebhook?.({ webhook, webhookId: req.get('webhook-id'), body })
    const bodyIsBytes = Buffer.isBuffer(body)
    res.json({
      issuer: webhook.issuer,
      kid: webhook.kid,
      id: webhook.id,
      body: bodyIsBytes ? body.toString('utf8') : body,
      bodyIsBytes,
    })
  }
}

/**
 * A sender app as the README shows it: `publishWebhookSender` first, then a route whose handler
 * delivers with `req.app.locals.webhooks`.
 */
export function buildExpressSenderApp(
  framework: ExpressModule,
  options: SenderAppOptions,
): express.Express {
  const app = framework()
  publishWebhookSender(app, options)
  app.post('/emit', framework.json(), (req: Request, res: Response, next) => {
    req.app.locals.webhooks.send(deliveryOf(req.body)).then(
      (result) => res.json(emitted(result)),
      (error: unknown) => {
        const refusal = notEmitted(error)
        if (refusal === undefined) next(error)
        else res.status(502).json(refusal)
      },
    )
  })
  return app
}

async function listen(app: express.Express): Promise<Server & { url: string }> {
  const server = createServer(app)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return Object.assign(server, { url: `http://127.0.0.1:${port}` })
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()))
    server.closeAllConnections()
  })
}

/** An app's own error handler, honouring the error's `headers` as Express's default one does. */
const answerError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  const { status, code, name, headers } = err as AppError
  if (headers !== undefined) res.set(headers)
  res.status(typeof status === 'number' ? status : 500).json({ handledBy: 'app', code, name })
}

interface AppError {
  status?: unknown
  code?: unknown
  name?: unknown
  headers?: Record<string, string>
}

// superagent's types say a serializer returns a string; it writes a Buffer just as well.
const sendAsIs = (bytes: Buffer): string => bytes as unknown as string

function decodeBody(bytes: Buffer, contentType: string | undefined): unknown {
  const text = bytes.toString('utf8')
  const isJson =
    contentType !== undefined && /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)
  return isJson && text !== '' ? JSON.parse(text) : text
}

async function start(framework: ExpressModule, options: HarnessOptions): Promise<RunningApp> {
  const server = await listen(buildExpressApp(framework, options))

  return {
    url: server.url,
    async send({ path = '/webhooks', headers, body }): Promise<HarnessResponse> {
      const response = await request(server)
        .post(path)
        .set(headers)
        .send(Buffer.isBuffer(body) ? body : Buffer.from(body))
        // The bytes exactly as given: superagent would otherwise JSON-encode a Buffer sent as
        // application/json, or give a string a form Content-Type of its own.
        .serialize(sendAsIs)
        // The body as bytes whatever its type, decoded below like any client would.
        .responseType('blob')
      const responseHeaders: Record<string, string | undefined> = {}
      for (const [name, value] of Object.entries(response.headers as Record<string, unknown>)) {
        responseHeaders[name.toLowerCase()] = Array.isArray(value)
          ? value.join(', ')
          : String(value)
      }
      return {
        status: response.status,
        headers: responseHeaders,
        body: decodeBody(response.body as Buffer, responseHeaders['content-type']),
        text: (response.body as Buffer).toString('utf8'),
      }
    },
    close: () => closeServer(server),
  }
}

async function startSender(
  framework: ExpressModule,
  options: SenderAppOptions,
): Promise<RunningServer> {
  const server = await listen(buildExpressSenderApp(framework, options))
  return { url: server.url, close: () => closeServer(server) }
}

export const expressHarnesses: AdapterHarness[] = expressMajors.map(
  ({ name, express: framework }) => ({
    name,
    start: (options: HarnessOptions) => start(framework, options),
  }),
)

export const expressSenderHarnesses: SenderHarness[] = expressMajors.map(
  ({ name, express: framework }) => ({
    name,
    start: (options: SenderAppOptions) => startSender(framework, options),
  }),
)
