import fastify4 from 'fastify4'
import fastify5 from 'fastify5'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify5'
import hooksealFastify, { hooksealSender } from '@hookseal/fastify'
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

type FastifyFactory = typeof fastify5

/**
 * Both supported majors of Fastify, for tests that build their own apps. The plugin's module
 * augmentation types the Fastify 5 declarations this workspace resolves `fastify` to; Fastify 4's
 * own declarations are a separate copy, so its factory is typed as Fastify 5's, whose API the apps
 * here use identically.
 */
export const fastifyMajors: ReadonlyArray<{
  readonly name: string
  readonly Fastify: FastifyFactory
}> = [
  { name: 'fastify 4', Fastify: fastify4 as unknown as FastifyFactory },
  { name: 'fastify 5', Fastify: fastify5 },
]

/**
 * The app every shared test runs against. For `parser: 'documented'` it is exactly what the README
 * tells users to write. Fastify's JSON parser is built in and runs per route, after the plugin has
 * read a webhook route's raw bytes, so `none` and `documented` are the same app; `naive` replaces
 * the built-in parser app-wide with one of the user's own, which must not matter either.
 */
export async function buildFastifyApp(
  Fastify: FastifyFactory,
  options: HarnessOptions,
): Promise<FastifyInstance> {
  // Everything else the harness is given is the adapter's own options, passed as they are.
  const { onWebhook, onReport, parser = 'none', ...routeOptions } = options
  const app = Fastify(onReport === undefined ? {} : { logger: reportingLogger(onReport) })

  if (parser === 'naive') {
    app.removeContentTypeParser('application/json')
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
      try {
        done(null, JSON.parse(text as string))
      } catch (error) {
        done(error as Error, undefined)
      }
    })
  }
  if (parser === 'drained') {
    app.addHook('preParsing', async (_request, _reply, payload) => {
      for await (const chunk of payload) void chunk
      return payload
    })
  }
  if (routeOptions.onError === 'forward') app.setErrorHandler(answerError)
  // Fastify parses no forms by itself; as the README says, a form webhook (OAuth 1.0a parameters in
  // the body) needs a parser, which runs after the plugin has verified the raw bytes.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer' },
    (_request, body, done) => done(null, body),
  )

  await app.register(hooksealFastify, routeOptions)
  app.post('/webhooks', { config: { webhook: true } }, answerWebhook(onWebhook))

  app.post('/other', async (request) => ({ body: request.body }))
  return app
}

/** Fastify's logger options that hand every error-level record's `err` to `onReport`. */
function reportingLogger(onReport: (error: ReportedError) => void) {
  const stream = {
    write(line: string): void {
      const { err } = JSON.parse(line) as { err?: ReportedError }
      onReport(err ?? {})
    },
  }
  return { level: 'error', stream }
}

function answerWebhook(onWebhook?: (received: ReceivedWebhook) => void) {
  return async function answerWebhook(request: FastifyRequest) {
    const { webhook, body } = request
    if (webhook === null) throw new Error('the protected route ran without a verified webhook')
    const webhookId = request.headers['webhook-id']
    onWebhook?.({ webhook, webhookId: typeof webhookId === 'string' ? webhookId : undefined, body })
    const bodyIsBytes = Buffer.isBuffer(body)
    return {
      issuer: webhook.issuer,
      kid: webhook.kid,
      id: webhook.id,
      body: bodyIsBytes ? body.toString('utf8') : body,
      bodyIsBytes,
    }
  }
}

/**
 * A sender app as the README shows it: the `hooksealSender` plugin, awaited, then a route whose
 * handler delivers with `this.webhooks`.
 */
export async function buildFastifySenderApp(
  Fastify: FastifyFactory,
  options: SenderAppOptions,
): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(hooksealSender, options)
  app.post('/emit', async function emit(request, reply) {
    try {
      return emitted(await this.webhooks.send(deliveryOf(request.body)))
    } catch (error) {
      const refusal = notEmitted(error)
      if (refusal === undefined) throw error
      return reply.code(502).send(refusal)
    }
  })
  return app
}

async function startSender(
  Fastify: FastifyFactory,
  options: SenderAppOptions,
): Promise<RunningServer> {
  const app = await buildFastifySenderApp(Fastify, options)
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url, close: () => closeApp(app) }
}

async function closeApp(app: FastifyInstance): Promise<void> {
  const closing = app.close()
  app.server.closeAllConnections()
  await closing
}

/** An app's own error handler, honouring the error's `headers` as Fastify's default one does. */
function answerError(
  error: FastifyError & { headers?: Record<string, string> },
  _request: FastifyRequest,
  reply: FastifyReply,
) {
  if (error.headers !== undefined) void reply.headers(error.headers)
  return reply
    .code(error.statusCode ?? 500)
    .send({ handledBy: 'app', code: error.code, name: error.name })
}

function decodeBody(text: string, contentType: string | undefined): unknown {
  const isJson =
    contentType !== undefined && /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)
  return isJson && text !== '' ? JSON.parse(text) : text
}

async function start(Fastify: FastifyFactory, options: HarnessOptions): Promise<RunningApp> {
  const app = await buildFastifyApp(Fastify, options)
  const url = await app.listen({ port: 0, host: '127.0.0.1' })

  return {
    url,
    async send({ path = '/webhooks', headers, body }): Promise<HarnessResponse> {
      const response = await app.inject({ method: 'POST', url: path, headers, payload: body })
      const responseHeaders: Record<string, string | undefined> = {}
      for (const [name, value] of Object.entries(response.headers)) {
        if (value === undefined) continue
        responseHeaders[name.toLowerCase()] = Array.isArray(value)
          ? value.join(', ')
          : String(value)
      }
      return {
        status: response.statusCode,
        headers: responseHeaders,
        body: decodeBody(response.body, responseHeaders['content-type']),
        text: response.body,
      }
    },
    close: () => closeApp(app),
  }
}

export const fastifyHarnesses: AdapterHarness[] = fastifyMajors.map(({ name, Fastify }) => ({
  name,
  start: (options: HarnessOptions) => start(Fastify, options),
}))

export const fastifySenderHarnesses: SenderHarness[] = fastifyMajors.map(({ name, Fastify }) => ({
  name,
  start: (options: SenderAppOptions) => startSender(Fastify, options),
}))
