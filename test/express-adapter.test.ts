/**
 * Express behaviour the shared adapter suite does not cover: body parsers around the protected
 * route, error forwarding, mounted routers and option checking, on both majors.
 */
import { createServer, request as httpRequest } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import type { ErrorRequestHandler, Express, Request, Response } from 'express'
import request from 'supertest'
import { WebhookError } from '@hookseal/core'
import { keepRawBody, webhookVerifier } from '@hookseal/express'
import type { WebhookVerifierOptions } from '@hookseal/express'
import { settlesAtOnce, useFakeClock } from '@hookseal/test-support/fake-clock'
import { expressMajors } from './harness/express.js'
import { signWebhook, startPartner } from './support/partner.js'

// Tests that prove an answer comes at once fake the clock; none leaves it fake.
afterEach(() => vi.useRealTimers())

const { key, jwks, verifier } = await startPartner()
afterAll(() => jwks.close())

function signatureFor(body: string, claims: Record<string, unknown> = {}): Promise<string> {
  return signWebhook(key, body, claims)
}

function event(): string {
  return JSON.stringify({ type: 'invoice.paid', invoice: randomUUID() })
}

function answerWebhook(req: Request, res: Response): void {
  const bodyIsBytes = Buffer.isBuffer(req.body)
  res.json({
    id: req.webhook?.id,
    body: bodyIsBytes ? (req.body as Buffer).toString('utf8') : req.body,
    bodyIsBytes,
  })
}

describe.each(expressMajors)('$name', ({ express }) => {
  const servers: Server[] = []

  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve())
            server.closeAllConnections()
          }),
      ),
    )
  })

  function serve(app: Express): Server {
    const server = createServer(app)
    servers.push(server)
    return server
  }

  function post(app: Express, path: string, contentType: string, body: string, token?: string) {
    const test = request(serve(app)).post(path).set('content-type', contentType)
    if (token !== undefined) test.set('x-signature', token)
    return test.send(body)
  }

  /**
   * Sends on a fake clock that stands still: a verifier waiting for a body already read would
   * never answer.
   */
  async function answeredAtOnce(send: () => Promise<request.Response>): Promise<request.Response> {
    useFakeClock(Date.now())
    const answering = send()
    await settlesAtOnce(answering, 'the answer')
    vi.useRealTimers()
    return answering
  }

  function withDocumentedParser(options: Partial<WebhookVerifierOptions> = {}): Express {
    const app = express()
    app.use(express.json({ verify: keepRawBody }))
    app.post('/webhooks', webhookVerifier({ verifier, ...options }), answerWebhook)
    return app
  }

  describe('beside an app-wide express.json()', () => {
    it('fails at once, saying how to fix the setup, when the parser kept no raw bytes', async () => {
      // With no 'error' listener on the app, the 500 is reported on stderr, once.
      const stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined)
      onTestFinished(() => stderr.mockRestore())
      const app = express()
      app.use(express.json())
      app.post('/webhooks', webhookVerifier({ verifier }), answerWebhook)
      const body = event()
      const response = await answeredAtOnce(async () =>
        post(app, '/webhooks', 'application/json', body, await signatureFor(body)),
      )
      expect(response.status).toBe(500)
      expect(response.headers['content-type']).toBe('application/problem+json')
      expect(response.body).toMatchObject({ status: 500, code: 'ERR_RAW_BODY_UNAVAILABLE' })
      expect(response.body.detail).toContain('express.json({ verify: keepRawBody })')
      expect(stderr.mock.calls).toEqual([[expect.stringMatching(/^WebhookError: .*body parser/)]])
    })

    it('verifies the exact bytes kept by keepRawBody, not a re-serialised body', async () => {
      // Spacing, key order and escapes that JSON.stringify(req.body) would not reproduce.
      const body = '{ "type" : "invoice.paid",\n  "note": "caf\\u00e9", "amount": 1.50 }'
      const response = await post(
        withDocumentedParser(),
        '/webhooks',
        'application/json',
        body,
        await signatureFor(body),
      )
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ body: JSON.parse(body), bodyIsBytes: false })
    })

    it('reads a webhook the parser does not parse (another content type) itself', async () => {
      const body = 'type=invoice.paid'
      const response = await post(
        withDocumentedParser(),
        '/webhooks',
        'text/plain',
        body,
        await signatureFor(body),
      )
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ body, bodyIsBytes: true })
    })

    it('works beside a naive parser when the webhook is not of a type it parses', async () => {
      const app = express()
      app.use(express.json())
      app.post('/webhooks', webhookVerifier({ verifier }), answerWebhook)
      const body = 'plain text webhook'
      const response = await post(app, '/webhooks', 'text/plain', body, await signatureFor(body))
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ body, bodyIsBytes: true })
    })

    it("applies the adapter's limit to the kept bytes", async () => {
      const body = JSON.stringify({ padding: 'x'.repeat(2048) })
      const response = await post(
        withDocumentedParser({ limit: 1024 }),
        '/webhooks',
        'application/json',
        body,
        await signatureFor(body),
      )
      expect(response.status).toBe(413)
      expect(response.body).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' })
    })

    it("leaves bodies over the parser's own limit to the parser's 413", async () => {
      const app = express()
      app.use(express.json({ verify: keepRawBody, limit: 1024 }))
      app.post('/webhooks', webhookVerifier({ verifier }), answerWebhook)
      const body = JSON.stringify({ padding: 'x'.repeat(2048) })
      const response = await post(
        app,
        '/webhooks',
        'application/json',
        body,
        await signatureFor(body),
      )
      expect(response.status).toBe(413)
      expect(response.headers['content-type']).not.toMatch(/problem\+json/)
    })

    it('keeps the raw bytes out of sight: no enumerable property of the request holds them', async () => {
      const app = express()
      app.use(express.json({ verify: keepRawBody }))
      app.post('/inspect', (req, res) => {
        const holders = Reflect.ownKeys(req).filter(
          (name) =>
            Object.getOwnPropertyDescriptor(req, name)?.enumerable === true &&
            Buffer.isBuffer(Reflect.get(req, name)),
        )
        res.json({ holders: holders.map(String), json: req.body })
      })
      const response = await post(app, '/inspect', 'application/json', '{"a":1}')
      expect(response.body).toEqual({ holders: [], json: { a: 1 } })
    })
  })

  it('lets a parser mounted after it on the route skip the body it read', async () => {
    const app = express()
    app.post('/webhooks', webhookVerifier({ verifier }), express.json(), answerWebhook)
    const body = event()
    const response = await answeredAtOnce(async () =>
      post(app, '/webhooks', 'application/json', body, await signatureFor(body)),
    )
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ body: JSON.parse(body), bodyIsBytes: false })
  })

  it('checks the signed URL against the full path in a mounted router', async () => {
    const router = express.Router()
    router.post('/hooks', webhookVerifier({ verifier }), answerWebhook)
    const app = express()
    app.use('/api', router)
    const body = event()
    const signedFor = (path: string) =>
      signatureFor(body, { htu: `https://receiver.example${path}`, jti: randomUUID() })
    const accepted = await post(
      app,
      '/api/hooks',
      'application/json',
      body,
      await signedFor('/api/hooks'),
    )
    expect(accepted.status).toBe(200)
    const refused = await post(
      app,
      '/api/hooks',
      'application/json',
      body,
      await signedFor('/hooks'),
    )
    expect(refused.body).toMatchObject({ code: 'ERR_URL_MISMATCH' })
  })

  it('refuses a token for /hooks/orders at paths Express routes to another handler', async () => {
    const app = express()
    app.use('/hooks/refunds', webhookVerifier({ verifier }), answerWebhook)
    const server = serve(app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const body = event()
    // A client of its own, since HTTP clients resolve dot segments before sending.
    const postExactly = async (path: string) => {
      const token = await signatureFor(body, { htu: 'https://receiver.example/hooks/orders' })
      return new Promise<{ status: number; code: unknown }>((resolve, reject) => {
        const outgoing = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path,
            headers: { 'content-type': 'application/json', 'x-signature': token },
          },
          (response) => {
            const chunks: Buffer[] = []
            response.on('data', (chunk: Buffer) => chunks.push(chunk))
            response.on('end', () => {
              const problem = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
                code?: unknown
              }
              resolve({ status: response.statusCode ?? 0, code: problem.code })
            })
          },
        )
        outgoing.on('error', reject)
        outgoing.end(body)
      })
    }
    const paths = [
      '/hooks/refunds/../orders',
      '/hooks/refunds/%2E%2e/orders',
      '/hooks/refunds/..\\orders',
      '/hooks/refunds//../orders',
    ]
    const results: Record<string, unknown> = {}
    for (const path of paths) results[path] = await postExactly(path)
    expect(results).toEqual(
      Object.fromEntries(
        paths.map((path) => [path, { status: 401, code: 'ERR_URL_NOT_CANONICAL' }]),
      ),
    )
  })

  it("hands a typed WebhookError to the app's error handler with onError: 'forward'", async () => {
    const received: unknown[] = []
    const app = express()
    app.post('/webhooks', webhookVerifier({ verifier, onError: 'forward' }), answerWebhook)
    const handler: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
      received.push(err)
      res.status(418).end()
    }
    app.use(handler)
    const response = await post(app, '/webhooks', 'application/json', event())
    expect(response.status).toBe(418)
    expect(received).toHaveLength(1)
    expect(received[0]).toBeInstanceOf(WebhookError)
    expect(received[0]).toMatchObject({ code: 'ERR_SIGNATURE_MISSING', status: 401, expose: true })
  })

  it("lets Express's own error handling send a forwarded 413 with Connection: close", async () => {
    const app = express()
    // finalhandler logs every error it renders outside the test environment.
    app.set('env', 'test')
    app.post('/webhooks', webhookVerifier({ verifier, limit: 1024, onError: 'forward' }))
    const response = await post(app, '/webhooks', 'application/json', 'x'.repeat(4096))
    expect(response.status).toBe(413)
    // finalhandler reads the rest of the body before it answers (see the README); the header
    // still ends the connection instead of keeping it for another request.
    expect(response.headers.connection).toBe('close')
  })

  it("sends errors that are not refusals, such as a throwing authorize, to Express's handling", async () => {
    const bug = new Error('authorize failed')
    const received: unknown[] = []
    const app = express()
    const authorize = () => {
      throw bug
    }
    app.post('/webhooks', webhookVerifier({ verifier, authorize }), answerWebhook)
    const handler: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
      received.push(err)
      res.status(500).json({ handledBy: 'app' })
    }
    app.use(handler)
    const body = event()
    const response = await post(
      app,
      '/webhooks',
      'application/json',
      body,
      await signatureFor(body),
    )
    expect(response.body).toEqual({ handledBy: 'app' })
    expect(received).toEqual([bug])
  })

  it('leaves routes it does not protect alone', async () => {
    const app = express()
    app.post('/webhooks', webhookVerifier({ verifier }), answerWebhook)
    app.post('/other', express.json(), (req, res) => {
      res.json({ webhook: req.webhook ?? null, body: req.body })
    })
    const response = await post(app, '/other', 'application/json', '{"hello":"world"}')
    expect(response.body).toEqual({ webhook: null, body: { hello: 'world' } })
  })
})

describe('webhookVerifier options', () => {
  it.each([
    ['no options', () => undefined],
    ['no verifier', () => ({})],
    ['a zero limit', () => ({ verifier, limit: 0 })],
    ['a fractional limit', () => ({ verifier, limit: 1.5 })],
    ['an authorize that is not a function', () => ({ verifier, authorize: true })],
    ['an unknown onError', () => ({ verifier, onError: 'ignore' })],
  ])('throws TypeError at construction for %s', (_name, options) => {
    expect(() => webhookVerifier(options() as unknown as WebhookVerifierOptions)).toThrow(TypeError)
  })

  it('returns a named middleware, so it is recognisable in stack traces and the router stack', () => {
    expect(webhookVerifier({ verifier }).name).toBe('hooksealWebhookVerifier')
  })
})
