import { request as httpRequest } from 'node:http'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import type Koa from 'koa'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { createVerifier, WebhookError } from '@hookseal/core'
import { webhookVerifier } from '@hookseal/koa'
import type { WebhookVerifierOptions } from '@hookseal/koa'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import { jwksOf } from '@hookseal/test-support/test-keys'
import { settlesAtOnce, useFakeClock } from '@hookseal/test-support/fake-clock'
import { buildApp, koaMajors, startApp } from './harness/koa.js'
import type { HarnessOptions, RunningApp } from './harness/types.js'
import { AUDIENCE, ISSUER, signWebhook, startPartner } from './support/partner.js'

// Tests that prove an answer comes at once fake the clock; none leaves it fake.
afterEach(() => vi.useRealTimers())

const EVENT = JSON.stringify({ type: 'payment.settled', amount: 1250 })

const { key, jwks, verifier } = await startPartner()
afterAll(() => jwks.close())

async function signedHeaders(
  body: string,
  contentType = 'application/json',
  claims: Record<string, unknown> = {},
): Promise<Record<string, string>> {
  return { 'content-type': contentType, 'x-signature': await signWebhook(key, body, claims) }
}

describe.each(koaMajors)('$name', ({ Koa }) => {
  const running: RunningApp[] = []
  afterEach(async () => {
    await Promise.all(running.splice(0).map((app) => app.close()))
  })

  async function start(app: Koa): Promise<RunningApp> {
    const started = await startApp(app)
    running.push(started)
    return started
  }

  /** A harness app whose emitted errors (what Koa would log) are collected. */
  async function startWithErrorLog(options: Omit<HarnessOptions, 'verifier'>) {
    const app = buildApp(Koa, { verifier, ...options })
    const emitted: unknown[] = []
    app.on('error', (error: unknown) => emitted.push(error))
    return { app: await start(app), emitted }
  }

  /** One protected route that answers with the id the adapter attached. */
  function protectedRoute(options: Omit<WebhookVerifierOptions, 'verifier'>): Router {
    const router = new Router()
    router.post('/webhooks', webhookVerifier({ verifier, ...options }), (ctx) => {
      ctx.body = { id: ctx.state.webhook.id }
    })
    return router
  }

  function appOf(...parts: Array<Koa.Middleware | Router>): Koa {
    const app = new Koa()
    app.silent = true
    for (const part of parts) app.use(part instanceof Router ? part.routes() : part)
    return app
  }

  it.each(['none', 'documented', 'naive'] as const)(
    'leaves other routes to bodyParser (parser: %s)',
    async (parser) => {
      const app = await start(buildApp(Koa, { verifier, parser }))
      const response = await app.send({
        path: '/other',
        headers: { 'content-type': 'application/json' },
        body: EVENT,
      })
      expect(response.status).toBe(200)
      expect(response.body).toEqual({ body: JSON.parse(EVENT) })
    },
  )

  it('verifies the webhook and hands the route the parsed JSON in the documented setup', async () => {
    const app = await start(buildApp(Koa, { verifier, parser: 'documented' }))
    const response = await app.send({ headers: await signedHeaders(EVENT), body: EVENT })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({
      issuer: ISSUER,
      kid: 'partner-1',
      bodyIsBytes: false,
      body: JSON.parse(EVENT),
    })
  })

  it('refuses at once, with the fix, when bodyParser took the raw body first', async () => {
    const { app, emitted } = await startWithErrorLog({ parser: 'naive' })
    const headers = await signedHeaders(EVENT)
    // The clock stands still: a middleware waiting for a body already read would never answer.
    useFakeClock(Date.now())
    const answering = app.send({ headers, body: EVENT })
    await settlesAtOnce(answering, 'the answer')
    vi.useRealTimers()
    const response = await answering

    expect(response.status).toBe(500)
    expect(response.headers['content-type']).toBe('application/problem+json')
    expect(response.body).toMatchObject({
      status: 500,
      code: 'ERR_RAW_BODY_UNAVAILABLE',
      detail: expect.stringMatching(/mount the webhook router before app.use\(bodyParser\(\)\)/),
    })
    // Reported where Koa reports errors too, since the sender is the one who sees the response.
    expect(emitted).toHaveLength(1)
    expect(emitted[0]).toBeInstanceOf(WebhookError)
    expect(emitted[0]).toMatchObject({ code: 'ERR_RAW_BODY_UNAVAILABLE' })
  })

  it('does not report refusals of the sender as app errors', async () => {
    const { app, emitted } = await startWithErrorLog({ parser: 'documented' })
    const response = await app.send({
      headers: { 'content-type': 'application/json' },
      body: EVENT,
    })
    expect(response.status).toBe(401)
    expect(emitted).toEqual([])
  })

  it('still verifies behind bodyParser a content type it does not read', async () => {
    const body = 'opaque bytes'
    const app = await start(buildApp(Koa, { verifier, parser: 'naive' }))
    const response = await app.send({
      headers: await signedHeaders(body, 'application/octet-stream'),
      body,
    })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ bodyIsBytes: true, body })
  })

  it('verifies behind bodyParser when an earlier middleware sets ctx.disableBodyParser', async () => {
    const skipWebhooks: Koa.Middleware = async (ctx, next) => {
      if (ctx.path === '/webhooks') ctx.disableBodyParser = true
      await next()
    }
    const running = await start(appOf(skipWebhooks, bodyParser(), protectedRoute({})))
    const response = await running.send({ headers: await signedHeaders(EVENT), body: EVENT })
    expect(response.status).toBe(200)
  })

  it("forwards a refusal to the app's own handler as the typed error", async () => {
    const caught: unknown[] = []
    const appErrorHandler: Koa.Middleware = async (ctx, next) => {
      try {
        await next()
      } catch (error) {
        caught.push(error)
        ctx.status = 418
      }
    }
    const running = await start(appOf(appErrorHandler, protectedRoute({ onError: 'forward' })))

    const response = await running.send({
      headers: { 'content-type': 'application/json' },
      body: EVENT,
    })
    expect(response.status).toBe(418)
    expect(caught).toHaveLength(1)
    expect(caught[0]).toBeInstanceOf(WebhookError)
    expect(caught[0]).toMatchObject({
      code: 'ERR_SIGNATURE_MISSING',
      status: 401,
      expose: true,
    })
  })

  it("lets Koa's own error handling render a forwarded refusal from status and expose", async () => {
    const app = await start(appOf(protectedRoute({ onError: 'forward' })))
    const response = await app.send({
      headers: { 'content-type': 'application/json' },
      body: EVENT,
    })
    expect(response.status).toBe(401)
    expect(response.headers['content-type']).toMatch(/^text\/plain/)
    expect(response.body).toMatch(/signature/i)
  })

  it("keeps Retry-After when Koa's own error handling renders a forwarded 503", async () => {
    const down = await startJwksServer(jwksOf(key))
    down.setBehaviour('down')
    try {
      const stranded = createVerifier({
        issuers: [{ issuer: ISSUER, jwksUri: down.url, audience: AUDIENCE }],
        allowInsecureHttp: true,
      })
      const router = new Router()
      router.post(
        '/webhooks',
        webhookVerifier({ verifier: stranded, onError: 'forward' }),
        (ctx) => {
          ctx.status = 204
        },
      )
      const app = await start(appOf(router))
      const response = await app.send({ headers: await signedHeaders(EVENT), body: EVENT })
      expect(response.status).toBe(503)
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    } finally {
      await down.close()
    }
  })

  it.each(['respond', 'forward'] as const)(
    "sends a throwing authorize to Koa's error handling (onError: %s)",
    async (onError) => {
      const bug = new Error('authorize failed')
      const app = appOf(
        protectedRoute({
          onError,
          authorize: () => {
            throw bug
          },
        }),
      )
      const emitted: unknown[] = []
      app.on('error', (error: unknown) => emitted.push(error))
      const running = await start(app)

      const response = await running.send({ headers: await signedHeaders(EVENT), body: EVENT })
      expect(response.status).toBe(500)
      expect(response.headers['content-type']).toMatch(/^text\/plain/)
      expect(response.body).toBe('Internal Server Error')
      expect(emitted).toEqual([bug])
    },
  )

  it('passes the authorize hook the Koa context', async () => {
    const seen: string[] = []
    const app = await start(
      appOf(
        protectedRoute({
          authorize: (webhook, ctx) => {
            seen.push(`${ctx.method} ${ctx.path} ${webhook.issuer}`)
            return ctx.get('x-tenant') === 'acme'
          },
        }),
      ),
    )
    const allowed = await app.send({
      headers: { ...(await signedHeaders(EVENT)), 'x-tenant': 'acme' },
      body: EVENT,
    })
    const refused = await app.send({ headers: await signedHeaders(EVENT), body: EVENT })
    expect(allowed.status).toBe(200)
    expect(refused.status).toBe(403)
    expect(refused.body).toMatchObject({ code: 'ERR_WEBHOOK_FORBIDDEN' })
    expect(seen).toEqual([`POST /webhooks ${ISSUER}`, `POST /webhooks ${ISSUER}`])
  })

  it('checks htu against the original URL when a mount rewrote ctx.url', async () => {
    // What koa-mount does: the mounted app sees the URL without its prefix.
    const stripPrefix: Koa.Middleware = async (ctx, next) => {
      if (ctx.path.startsWith('/v1/')) ctx.path = ctx.path.slice('/v1'.length)
      await next()
    }
    const running = await start(appOf(stripPrefix, protectedRoute({})))

    const signedFor = (htu: string) => signedHeaders(EVENT, 'application/json', { htu })
    const original = await running.send({
      path: '/v1/webhooks',
      headers: await signedFor('https://receiver.example/v1/webhooks'),
      body: EVENT,
    })
    const rewritten = await running.send({
      path: '/v1/webhooks',
      headers: await signedFor('https://receiver.example/webhooks'),
      body: EVENT,
    })
    expect(original.status).toBe(200)
    expect(rewritten.status).toBe(401)
    expect(rewritten.body).toMatchObject({ code: 'ERR_URL_MISMATCH' })
  })

  it('refuses a repeated signature header that Node folds in ctx.headers', async () => {
    const running = await start(appOf(protectedRoute({})))
    const { 'x-signature': token = '' } = await signedHeaders(EVENT)
    const { status, body } = await postWithRepeatedHeader(running.url, token, EVENT)
    expect(status).toBe(401)
    expect(JSON.parse(body)).toMatchObject({ code: 'ERR_SIGNATURE_DUPLICATE' })
  })
})

describe('webhookVerifier options', () => {
  it.each([
    ['no options', undefined],
    ['no verifier', { verifier: undefined }],
    ['a zero limit', { limit: 0 }],
    ['a zero bodyTimeout', { bodyTimeout: 0 }],
    ['a bodyTimeout that is not a number', { bodyTimeout: '30s' }],
    ['an unknown onError', { onError: 'ignore' }],
    ['an authorize that is not a function', { authorize: true }],
  ])('throws TypeError at construction for %s', (_, extra) => {
    const options = extra === undefined ? undefined : { verifier, ...extra }
    expect(() => webhookVerifier(options as never)).toThrow(TypeError)
  })
})

/** Node's clients fold nothing on the way out: setHeader with a list sends each value on its own line. */
function postWithRepeatedHeader(
  url: string,
  token: string,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/webhooks`, { method: 'POST' }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setHeader('content-type', 'application/json')
    req.setHeader('x-signature', [token, token])
    req.end(body)
  })
}
