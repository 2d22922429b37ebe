/**
 * What the shared suite does not cover for Fastify: how the plugin sits in Fastify's lifecycle
 * (encapsulation, hook order, body limits, content-type parsing, error handlers), on both majors.
 */
import { request as httpRequest } from 'node:http'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { WebhookError } from '@hookseal/core'
import hooksealFastify from '@hookseal/fastify'
import type { FastifyError, FastifyInstance, FastifyPluginAsync } from 'fastify5'
import { settlesAtOnce, useFakeClock } from '@hookseal/test-support/fake-clock'
import { fastifyMajors } from './harness/fastify.js'
import { ISSUER, signWebhook, startPartner } from './support/partner.js'

// Tests that prove an answer comes at once fake the clock; none leaves it fake.
afterEach(() => vi.useRealTimers())

const { key, jwks, verifier } = await startPartner()
afterAll(() => jwks.close())

async function signedJson(body: string) {
  return { 'content-type': 'application/json', 'x-signature': await signWebhook(key, body) }
}

const echoWebhook = async (request: { webhook: unknown; body: unknown }) => ({
  webhook: request.webhook,
  body: Buffer.isBuffer(request.body) ? { bytes: request.body.toString('utf8') } : request.body,
})

describe.each(fastifyMajors)('$name', ({ Fastify }) => {
  const apps: FastifyInstance[] = []

  function track(app: FastifyInstance): FastifyInstance {
    apps.push(app)
    return app
  }

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()))
  })

  it('verifies routes declared in child scopes registered after the plugin', async () => {
    const app = track(Fastify())
    await app.register(hooksealFastify, { verifier })
    const partner: FastifyPluginAsync = async (scope) => {
      scope.post('/hooks', { config: { webhook: true } }, echoWebhook)
    }
    await app.register(partner, { prefix: '/partner' })

    const body = '{"type":"invoice.paid"}'
    const ok = await app.inject({
      method: 'POST',
      url: '/partner/hooks',
      headers: await signedJson(body),
      payload: body,
    })
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toMatchObject({ webhook: { issuer: ISSUER }, body: { type: 'invoice.paid' } })

    const unsigned = await app.inject({ method: 'POST', url: '/partner/hooks', payload: {} })
    expect(unsigned.statusCode).toBe(401)
  })

  it('leaves request.webhook null and parsing to Fastify on routes that do not opt in', async () => {
    const app = track(Fastify())
    await app.register(hooksealFastify, { verifier })
    app.post('/other', async (request) => ({ webhook: request.webhook, body: request.body }))

    const response = await app.inject({ method: 'POST', url: '/other', payload: { a: 1 } })
    expect(response.json()).toEqual({ webhook: null, body: { a: 1 } })
    const malformed = await app.inject({
      method: 'POST',
      url: '/other',
      headers: { 'content-type': 'application/json' },
      payload: '{',
    })
    // Fastify's own answer, in its own format: the plugin is not in the way.
    expect(malformed.statusCode).toBe(400)
    expect(malformed.headers['content-type']).toMatch(/^application\/json/)
    expect(malformed.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' })
  })

  it("answers every 413 on a webhook route itself, also past Fastify's own bodyLimit", async () => {
    const app = track(Fastify({ bodyLimit: 1024 }))
    await app.register(hooksealFastify, { verifier, limit: 4096 })
    app.post('/webhooks', { config: { webhook: true } }, echoWebhook)
    app.post('/other', async (request) => ({ body: request.body }))

    const body = JSON.stringify({ padding: 'x'.repeat(2048) })
    const accepted = await app.inject({
      method: 'POST',
      url: '/webhooks',
      headers: await signedJson(body),
      payload: body,
    })
    expect(accepted.statusCode).toBe(200)

    const huge = JSON.stringify({ padding: 'x'.repeat(8192) })
    const refused = await app.inject({
      method: 'POST',
      url: '/webhooks',
      headers: await signedJson(huge),
      payload: huge,
    })
    expect(refused.statusCode).toBe(413)
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(refused.json()).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' })

    const other = await app.inject({
      method: 'POST',
      url: '/other',
      headers: { 'content-type': 'application/json' },
      payload: body,
    })
    expect(other.statusCode).toBe(413)
    expect(other.json()).toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' })
  })

  it('authenticates before Fastify parses: unsigned bodies of any type get 401, not 400 or 415', async () => {
    const app = track(Fastify())
    await app.register(hooksealFastify, { verifier })
    app.post('/webhooks', { config: { webhook: true } }, echoWebhook)

    const cases = [
      { headers: { 'content-type': 'application/json' }, payload: '' },
      { headers: { 'content-type': 'application/json' }, payload: '{"__proto__":{}' },
      { headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from([1, 2]) },
      { headers: {}, payload: Buffer.from('no content type') },
      { headers: {}, payload: '' },
    ]
    for (const { headers, payload } of cases) {
      const response = await app.inject({ method: 'POST', url: '/webhooks', headers, payload })
      expect(response.statusCode).toBe(401)
      expect(response.json()).toMatchObject({ code: 'ERR_SIGNATURE_MISSING' })
    }
  })

  it('hands non-JSON bodies over as the raw bytes core verified', async () => {
    const app = track(Fastify())
    await app.register(hooksealFastify, { verifier })
    app.post('/webhooks', { config: { webhook: true } }, echoWebhook)

    const text = 'plain text, not parsed'
    const response = await app.inject({
      method: 'POST',
      url: '/webhooks',
      headers: { 'content-type': 'text/plain', 'x-signature': await signWebhook(key, text) },
      payload: text,
    })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ body: { bytes: text } })

    const empty = await app.inject({
      method: 'POST',
      url: '/webhooks',
      headers: { 'x-signature': await signWebhook(key, '') },
    })
    expect(empty.statusCode).toBe(200)
    expect(empty.json()).toMatchObject({ body: { bytes: '' } })
  })

  it('fails at once, never hangs, when an earlier hook has drained the body stream', async () => {
    const errors: unknown[] = []
    const app = track(Fastify())
    app.addHook('preParsing', async (_request, _reply, payload) => {
      for await (const chunk of payload) void chunk
      return payload
    })
    app.setErrorHandler<FastifyError>(async (error, _request, reply) => {
      errors.push(error)
      return reply.code(error.statusCode ?? 500).send({ code: error.code })
    })
    await app.register(hooksealFastify, { verifier })
    app.post('/webhooks', { config: { webhook: true } }, echoWebhook)
    app.post('/forwarded', { config: { webhook: { onError: 'forward' } } }, echoWebhook)

    const body = '{"type":"invoice.paid"}'
    const headers = await signedJson(body)
    await app.ready()
    // The clock stands still: a hook waiting for a body already read would never answer.
    useFakeClock(Date.now())
    const answering = app.inject({ method: 'POST', url: '/webhooks', headers, payload: body })
    await settlesAtOnce(answering, 'the answer')
    vi.useRealTimers()
    const response = await answering
    expect(response.statusCode).toBe(500)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({ code: 'ERR_RAW_BODY_UNAVAILABLE' })
    expect(errors).toEqual([])

    const forwarded = await app.inject({
      method: 'POST',
      url: '/forwarded',
      headers: await signedJson(body),
      payload: body,
    })
    expect(forwarded.statusCode).toBe(500)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(WebhookError)
    expect((errors[0] as Error).message).toMatch(/preParsing.*fresh stream of the same bytes/)
  })

  it("with onError: 'forward', gives the app's error handler the typed WebhookError", async () => {
    const errors: unknown[] = []
    const app = track(Fastify())
    app.setErrorHandler<FastifyError>(async (error, _request, reply) => {
      errors.push(error)
      return reply.code(error.statusCode ?? 500).send({ handledBy: 'app' })
    })
    await app.register(hooksealFastify, { verifier, onError: 'forward' })
    app.post('/webhooks', { config: { webhook: true } }, echoWebhook)

    const response = await app.inject({ method: 'POST', url: '/webhooks', payload: {} })
    expect(response.statusCode).toBe(401)
    expect(response.json()).toEqual({ handledBy: 'app' })
    expect(errors[0]).toBeInstanceOf(WebhookError)
    expect(errors[0]).toMatchObject({ code: 'ERR_SIGNATURE_MISSING', statusCode: 401 })
  })

  it("sends errors that are not refusals to Fastify's error handling, also in 'respond' mode", async () => {
    const app = track(Fastify())
    await app.register(hooksealFastify, {
      verifier,
      authorize: () => {
        throw new Error('authorize broke')
      },
    })
    app.post('/webhooks', { config: { webhook: true } }, echoWebhook)
    app.post(
      '/routed',
      {
        config: { webhook: true },
        errorHandler: (error, _request, reply) => {
          void reply.code(599).send({ routeHandler: error.message })
        },
      },
      echoWebhook,
    )

    const body = '{}'
    const response = await app.inject({
      method: 'POST',
      url: '/webhooks',
      headers: await signedJson(body),
      payload: body,
    })
    expect(response.statusCode).toBe(500)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.json()).toMatchObject({ statusCode: 500, message: 'authorize broke' })

    const routed = await app.inject({
      method: 'POST',
      url: '/routed',
      headers: await signedJson(body),
      payload: body,
    })
    expect(routed.statusCode).toBe(599)
    expect(routed.json()).toEqual({ routeHandler: 'authorize broke' })

    const refused = await app.inject({ method: 'POST', url: '/routed', payload: {} })
    expect(refused.json()).toMatchObject({ code: 'ERR_SIGNATURE_MISSING' })
  })

  it("sets request.webhook and request.body before the route's own hooks run", async () => {
    const app = track(Fastify())
    await app.register(hooksealFastify, { verifier })
    const seen: unknown[] = []
    app.post(
      '/webhooks',
      {
        config: { webhook: true },
        preValidation: async (request) => void seen.push(request.webhook?.issuer, request.body),
      },
      echoWebhook,
    )

    const body = '{"type":"invoice.paid"}'
    await app.inject({
      method: 'POST',
      url: '/webhooks',
      headers: await signedJson(body),
      payload: body,
    })
    expect(seen).toEqual([ISSUER, { type: 'invoice.paid' }])
  })

  describe('never runs a webhook route unverified, wherever it is declared', () => {
    /** A handler that counts the requests that reached it. */
    function countingHandler() {
      const handler = Object.assign(
        async () => {
          handler.runs += 1
          return { ran: true }
        },
        { runs: 0 },
      )
      return handler
    }

    /** A child scope holding the plugin and one webhook route of its own. */
    const pluginScope: FastifyPluginAsync = async (scope) => {
      await scope.register(hooksealFastify, { verifier })
      scope.post('/inside', { config: { webhook: true } }, echoWebhook)
    }

    /** A forged webhook: unsigned, which a protected route answers 401. */
    const forged = { method: 'POST', url: '', payload: { type: 'invoice.paid' } } as const

    async function expectRefused(app: FastifyInstance, url: string, handler: { runs: number }) {
      const response = await app.inject({ ...forged, url })
      expect(response.statusCode).toBe(500)
      expect(response.json()).toMatchObject({
        code: 'ERR_ROUTE_UNPROTECTED',
        message: expect.stringMatching(new RegExp(`POST ${url} .*root scope`)) as unknown,
      })
      expect(handler.runs).toBe(0)
    }

    it('refuses to start with a route in a sibling scope of the plugin', async () => {
      const app = track(Fastify())
      const handler = countingHandler()
      await app.register(pluginScope)
      await app.register(async (sibling) => {
        sibling.post('/sibling', { config: { webhook: true } }, handler)
      })
      await expect(app.ready()).rejects.toMatchObject({
        code: 'ERR_ROUTE_UNPROTECTED',
        message: expect.stringMatching(/POST \/sibling .*root scope/) as unknown,
      })
    })

    it('refuses to start with a route at the root while the plugin sits in a child', async () => {
      const app = track(Fastify())
      await app.register(pluginScope)
      app.post('/root', { config: { webhook: { limit: 1024 } } }, countingHandler())
      await expect(app.ready()).rejects.toMatchObject({ code: 'ERR_ROUTE_UNPROTECTED' })
    })

    it('refuses every request to a route in a sibling scope loaded before the plugin', async () => {
      const app = track(Fastify())
      const handler = countingHandler()
      await app.register(async (sibling) => {
        sibling.post('/sibling', { config: { webhook: true } }, handler)
      })
      await app.register(pluginScope)
      await app.ready()
      await expectRefused(app, '/sibling', handler)
      // The plugin's own scope still verifies.
      expect((await app.inject({ ...forged, url: '/inside' })).statusCode).toBe(401)
    })

    it('refuses every request to a root route declared before the plugin loaded', async () => {
      const app = track(Fastify())
      const handler = countingHandler()
      app.post('/root', { config: { webhook: true } }, handler)
      await app.register(pluginScope)
      await expectRefused(app, '/root', handler)
    })

    it('refuses every request to a route declared before the plugin in its own scope', async () => {
      const app = track(Fastify())
      const handler = countingHandler()
      void app.register(hooksealFastify, { verifier })
      app.post('/webhooks', { config: { webhook: true } }, handler)
      await expectRefused(app, '/webhooks', handler)
    })

    it('leaves routes that do not opt in, in every scope, alone', async () => {
      const app = track(Fastify())
      await app.register(pluginScope)
      app.post('/root', { config: { webhook: false } }, async () => ({ ran: true }))
      await app.register(async (sibling) => {
        sibling.post('/sibling', async () => ({ ran: true }))
      })
      expect((await app.inject({ ...forged, url: '/root' })).json()).toEqual({ ran: true })
      expect((await app.inject({ ...forged, url: '/sibling' })).json()).toEqual({ ran: true })
    })
  })

  it('refuses a chunked body past the limit while it streams in, on a real socket', async () => {
    const app = track(Fastify())
    await app.register(hooksealFastify, { verifier, limit: 1000 })
    app.post('/webhooks', { config: { webhook: true } }, echoWebhook)
    const url = new URL('/webhooks', await app.listen({ port: 0, host: '127.0.0.1' }))

    const { status, body } = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        const request = httpRequest(url, { method: 'POST' }, (response) => {
          let text = ''
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => (text += chunk))
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }))
        })
        request.on('error', reject)
        request.setHeader('content-type', 'application/json')
        request.write('x'.repeat(800))
        request.end('x'.repeat(800))
      },
    )
    expect(status).toBe(413)
    expect(JSON.parse(body)).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' })
  })

  it('refuses to be registered twice on the same routes, which would verify each webhook twice', async () => {
    const app = track(Fastify())
    await app.register(hooksealFastify, { verifier })
    const nested: FastifyPluginAsync = async (scope) => {
      await scope.register(hooksealFastify, { verifier })
    }
    await expect(app.register(nested)).rejects.toThrow(/register the plugin once/)
  })

  describe('refuses bad options with a TypeError when the app is set up', () => {
    it('at registration, for the plugin options', async () => {
      const app = track(Fastify())
      await expect(app.register(hooksealFastify, {} as never)).rejects.toThrow(TypeError)
      const other = track(Fastify())
      await expect(
        other.register(hooksealFastify, { verifier, onError: 'log' as never }),
      ).rejects.toThrow(/onError/)
    })

    it('at route declaration, for route options and a conflicting bodyLimit', async () => {
      const app = track(Fastify())
      await app.register(hooksealFastify, { verifier })
      const handler = async () => ({})
      expect(() => app.post('/a', { config: { webhook: { limit: -1 } } }, handler)).toThrow(
        /POST \/a: .*limit/,
      )
      expect(() => app.post('/b', { config: { webhook: 'yes' as never } }, handler)).toThrow(
        TypeError,
      )
      expect(() => app.post('/c', { bodyLimit: 10, config: { webhook: true } }, handler)).toThrow(
        /config\.webhook\.limit/,
      )
    })
  })
})
