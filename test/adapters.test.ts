/**
 * One suite, every adapter, both majors of each framework: the same requests must get the same
 * statuses and codes whichever framework the receiver runs.
 */
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createVerifier } from '@hookseal/core'
import type { IssuerOptions, VerifierOptions } from '@hookseal/core'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import {
  generateTestKey,
  jwksOf,
  segment,
  signToken,
  webhookClaims,
} from '@hookseal/test-support/test-keys'
import type { TestKey } from '@hookseal/test-support/test-keys'
import { settlesAtOnce, useFakeClock } from '@hookseal/test-support/fake-clock'
import { expressHarnesses } from './harness/express.js'
import { fastifyHarnesses } from './harness/fastify.js'
import { koaHarnesses } from './harness/koa.js'
import type {
  AdapterHarness,
  HarnessOptions,
  HarnessRequest,
  ReportedError,
  RunningApp,
} from './harness/types.js'
import { rawPost } from './support/raw-http.js'

// Tests that prove an answer comes at once fake the clock; none leaves it fake.
afterEach(() => vi.useRealTimers())

const ISSUER = 'https://partner.example'
const AUDIENCE = 'https://receiver.example/webhooks'
const JSON_TYPE = 'application/json'

const harnesses: AdapterHarness[] = [...expressHarnesses, ...koaHarnesses, ...fastifyHarnesses]

let key: TestKey
let strangerKey: TestKey
let jwks: JwksServer
let downJwks: JwksServer

beforeAll(async () => {
  key = generateTestKey('RS256', 'partner-1')
  strangerKey = generateTestKey('RS256', 'partner-1')
  jwks = await startJwksServer(jwksOf(key))
  downJwks = await startJwksServer(jwksOf(key))
  downJwks.setBehaviour('down')
})

afterAll(async () => {
  await jwks.close()
  await downJwks.close()
})

function verifier(issuer: Partial<IssuerOptions> = {}, options: Partial<VerifierOptions> = {}) {
  return createVerifier({
    issuers: [{ issuer: ISSUER, jwksUri: jwks.url, audience: AUDIENCE, ...issuer }],
    allowInsecureHttp: true,
    ...options,
  })
}

/** A webhook signed for exactly `body`, with any claim or header changed. */
async function signed(
  body: string,
  claims: Record<string, unknown> = {},
  signer: TestKey = key,
): Promise<HarnessRequest> {
  const token = await signToken({
    key: signer,
    claims: { ...webhookClaims(ISSUER, AUDIENCE, body), ...claims },
  })
  return { headers: { 'content-type': JSON_TYPE, 'x-signature': token }, body }
}

function event(): string {
  return JSON.stringify({ type: 'invoice.paid', invoice: randomUUID(), amount: 1200 })
}

const refusals: Array<[string, () => Promise<HarnessRequest>, string, number]> = [
  [
    'no signature header',
    async () => ({ headers: { 'content-type': JSON_TYPE }, body: event() }),
    'ERR_SIGNATURE_MISSING',
    401,
  ],
  [
    'a token that is not a JWS',
    async () => ({ headers: { 'content-type': JSON_TYPE, 'x-signature': 'a.b' }, body: event() }),
    'ERR_TOKEN_MALFORMED',
    401,
  ],
  [
    'alg none',
    async () => {
      const body = event()
      const token = `${segment({ alg: 'none', kid: 'partner-1' })}.${segment(webhookClaims(ISSUER, AUDIENCE, body))}.AA`
      return { headers: { 'content-type': JSON_TYPE, 'x-signature': token }, body }
    },
    'ERR_ALG_NOT_ALLOWED',
    401,
  ],
  [
    'an unknown issuer',
    () => signed(event(), { iss: 'https://stranger.example' }),
    'ERR_ISSUER_UNKNOWN',
    401,
  ],
  ['a forged signature', () => signed(event(), {}, strangerKey), 'ERR_SIGNATURE_INVALID', 401],
  [
    'an expired token',
    () => signed(event(), { exp: Math.floor(Date.now() / 1000) - 120 }),
    'ERR_TOKEN_EXPIRED',
    401,
  ],
  [
    'another audience',
    () => signed(event(), { aud: 'https://other.example' }),
    'ERR_AUDIENCE_MISMATCH',
    401,
  ],
  [
    'a body changed after signing',
    async () => ({ ...(await signed(event())), body: event() }),
    'ERR_BODY_DIGEST_MISMATCH',
    401,
  ],
  [
    'a signed body with a __proto__ key',
    () => signed('{"type":"invoice.paid","nested":{"__proto__":{"admin":true}}}'),
    'ERR_BODY_INVALID',
    400,
  ],
  [
    'a signed body with a constructor.prototype member',
    () => signed('{"type":"invoice.paid","nested":{"constructor":{"prototype":{"admin":true}}}}'),
    'ERR_BODY_INVALID',
    400,
  ],
  [
    'a signed body nested 100,000 levels deep',
    () =>
      signed(
        `{"type":"invoice.paid","note":"caf\\u00e9","deep":${'['.repeat(1e5)}${']'.repeat(1e5)}}`,
      ),
    'ERR_BODY_INVALID',
    400,
  ],
  [
    'a signed body that is not JSON',
    () => signed('{"type": "invoice.paid",'),
    'ERR_BODY_INVALID',
    400,
  ],
]

/**
 * Core's problem document for a refusal, as the exact bytes every adapter must send: the fields in
 * this order, no whitespace, `detail` only when the refusal shows its message.
 */
function problemText(status: number, code: string, detail: string | undefined): string {
  const title = STATUS_CODES[status]
  return JSON.stringify({ type: 'about:blank', title, status, ...(detail && { detail }), code })
}

function expectProblem(
  response: { status: number; headers: object; body: unknown; text: string },
  code: string,
  status: number,
) {
  expect({ status: response.status, code: (response.body as { code?: string }).code }).toEqual({
    status,
    code,
  })
  expect((response.headers as Record<string, string>)['content-type']).toBe(
    'application/problem+json',
  )
  const { detail } = response.body as { detail?: string }
  expect(response.text).toBe(problemText(status, code, detail))
}

describe.each(harnesses)('$name', (harness) => {
  let app: RunningApp
  const started: RunningApp[] = []

  async function start(options: Partial<HarnessOptions> = {}): Promise<RunningApp> {
    const running = await harness.start({ verifier: verifier(), ...options })
    started.push(running)
    return running
  }

  beforeAll(async () => {
    app = await start()
  })

  afterAll(async () => {
    await Promise.all(started.map((running) => running.close()))
  })

  it('hands a valid webhook to the handler with the verified webhook and parsed body', async () => {
    const body = event()
    const response = await app.send(await signed(body))
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({
      issuer: ISSUER,
      kid: 'partner-1',
      body: JSON.parse(body),
      bodyIsBytes: false,
    })
  })

  it.each(refusals)('refuses %s with %s', async (_name, build, code, status) => {
    expectProblem(await app.send(await build()), code, status)
  })

  it('refuses the same webhook delivered twice', async () => {
    const request = await signed(event())
    expect((await app.send(request)).status).toBe(200)
    expectProblem(await app.send(request), 'ERR_REPLAY', 401)
  })

  it('answers 403 when authorize refuses a valid sender', async () => {
    const guarded = await start({ authorize: (webhook) => webhook.claims.tenant === 'acme' })
    expect((await guarded.send(await signed(event(), { tenant: 'acme' }))).status).toBe(200)
    expectProblem(
      await guarded.send(await signed(event(), { tenant: 'umbrella' })),
      'ERR_WEBHOOK_FORBIDDEN',
      403,
    )
  })

  it('answers 400 when the verified body is not what the route accepts', async () => {
    const strict = await start({
      validateBody: (body) => (body as { type?: unknown }).type === 'invoice.paid',
    })
    const other = JSON.stringify({ type: 'customer.deleted' })
    expectProblem(await strict.send(await signed(other)), 'ERR_BODY_INVALID', 400)
  })

  it('checks authentication before the body: an unsigned bad body is a 401', async () => {
    const strict = await start({ validateBody: () => false })
    const response = await strict.send({ headers: { 'content-type': JSON_TYPE }, body: '{' })
    expectProblem(response, 'ERR_SIGNATURE_MISSING', 401)
  })

  it('accepts Authorization: Bearer when the verifier is configured for it', async () => {
    const bearerApp = await start({ verifier: verifier({}, { acceptBearer: true }) })
    const request = await signed(event())
    const token = request.headers['x-signature'] as string
    const response = await bearerApp.send({
      headers: { 'content-type': JSON_TYPE, authorization: `Bearer ${token}` },
      body: request.body,
    })
    expect(response.status).toBe(200)
  })

  it('answers 503 with Retry-After when the JWKS endpoint is down', async () => {
    const stranded = await start({ verifier: verifier({ jwksUri: downJwks.url }) })
    const response = await stranded.send(await signed(event()))
    expectProblem(response, 'ERR_JWKS_UNAVAILABLE', 503)
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  })

  it("reports each 5xx refusal once through the framework's own channel, and no 4xx", async () => {
    const reports: ReportedError[] = []
    const onReport = (error: ReportedError) => void reports.push(error)
    const stranded = await start({ verifier: verifier({ jwksUri: downJwks.url }), onReport })
    expectProblem(await stranded.send(await signed(event())), 'ERR_JWKS_UNAVAILABLE', 503)
    const drained = await start({ parser: 'drained', onReport })
    expectProblem(await drained.send(await signed(event())), 'ERR_RAW_BODY_UNAVAILABLE', 500)
    const small = await start({ limit: 1024, onReport })
    expectProblem(
      await small.send({ headers: { 'content-type': JSON_TYPE }, body: '{}' }),
      'ERR_SIGNATURE_MISSING',
      401,
    )
    const large = await signed(JSON.stringify({ padding: 'x'.repeat(2048) }))
    expectProblem(await small.send(large), 'ERR_BODY_TOO_LARGE', 413)

    expect(reports.map(({ code, status }) => ({ code, status }))).toEqual([
      { code: 'ERR_JWKS_UNAVAILABLE', status: 503 },
      { code: 'ERR_RAW_BODY_UNAVAILABLE', status: 500 },
    ])
  })

  it('answers 413 for a body over the limit, by its Content-Length', async () => {
    const small = await start({ limit: 1024 })
    const body = JSON.stringify({ padding: 'x'.repeat(2048) })
    expectProblem(await small.send(await signed(body)), 'ERR_BODY_TOO_LARGE', 413)
  })

  it('answers 413 before reading the rest of a body that declares 10 MiB', async () => {
    const small = await start({ limit: 64 * 1024 })
    const exchange = await rawPost({
      url: `${small.url}/webhooks`,
      headers: [`Content-Type: ${JSON_TYPE}`, 'X-Signature: a.b.c'],
      declaredLength: 10 * 1024 * 1024,
      bodyBytes: 0,
    })
    expect(exchange.status).toBe(413)
    expect(exchange.response).toContain('ERR_BODY_TOO_LARGE')
  })

  it('answers 413 while a chunked body streams in, without reading the rest', async () => {
    const small = await start({ limit: 64 * 1024 })
    const exchange = await rawPost({
      url: `${small.url}/webhooks`,
      headers: [`Content-Type: ${JSON_TYPE}`, 'X-Signature: a.b.c'],
      chunked: true,
      bodyBytes: 10 * 1024 * 1024,
      waitForClose: true,
    })
    expect(exchange.status).toBe(413)
    expect(exchange.response).toContain('ERR_BODY_TOO_LARGE')
    expect(exchange.closedByServer).toBe(true)
    expect(exchange.bodyBytesSent).toBeLessThan(2 * 1024 * 1024)
  })

  it('sends a refusal on the wire as core renders it: status line, Content-Type, body bytes', async () => {
    const exchange = await rawPost({
      url: `${app.url}/webhooks`,
      headers: [`Content-Type: ${JSON_TYPE}`],
      bodyBytes: 0,
    })
    const [head = '', text] = exchange.response.split('\r\n\r\n')
    const [statusLine, ...fields] = head.split('\r\n')
    expect(statusLine).toBe('HTTP/1.1 401 Unauthorized')
    expect(fields.filter((field) => /^content-type:/i.test(field))).toEqual([
      'content-type: application/problem+json',
    ])
    const { detail } = JSON.parse(text ?? '') as { detail?: string }
    expect(text).toBe(problemText(401, 'ERR_SIGNATURE_MISSING', detail))
  })

  it('answers 408 and closes the connection when the body trickles in past bodyTimeout', async () => {
    const slow = await start({ bodyTimeout: 200 })
    const exchange = await rawPost({
      url: `${slow.url}/webhooks`,
      headers: [`Content-Type: ${JSON_TYPE}`, 'X-Signature: a.b.c'],
      bodyBytes: 1000,
      trickleMs: 20,
      waitForClose: true,
    })
    expect(exchange.status).toBe(408)
    expect(exchange.response).toContain('"code":"ERR_BODY_TIMEOUT"')
    expect(exchange.response).toMatch(/\r\nconnection: close\r\n/i)
    expect(exchange.closedByServer).toBe(true)
  })

  describe("with onError: 'forward', the refusal carries Connection: close to the app's handler", () => {
    it('for a 413: the connection is closed, the rest of the body never read', async () => {
      const forwarding = await start({ onError: 'forward', limit: 64 * 1024 })
      const exchange = await rawPost({
        url: `${forwarding.url}/webhooks`,
        headers: [`Content-Type: ${JSON_TYPE}`, 'X-Signature: a.b.c'],
        chunked: true,
        bodyBytes: 10 * 1024 * 1024,
        waitForClose: true,
      })
      expect(exchange.status).toBe(413)
      expect(exchange.response).toContain('"handledBy":"app","code":"ERR_BODY_TOO_LARGE"')
      expect(exchange.response).toMatch(/\r\nconnection: close\r\n/i)
      expect(exchange.closedByServer).toBe(true)
      expect(exchange.bodyBytesSent).toBeLessThan(2 * 1024 * 1024)
    })

    it('for a 408: the connection is closed', async () => {
      const forwarding = await start({ onError: 'forward', bodyTimeout: 200 })
      const exchange = await rawPost({
        url: `${forwarding.url}/webhooks`,
        headers: [`Content-Type: ${JSON_TYPE}`, 'X-Signature: a.b.c'],
        bodyBytes: 1000,
        trickleMs: 20,
        waitForClose: true,
      })
      expect(exchange.status).toBe(408)
      expect(exchange.response).toContain('"handledBy":"app","code":"ERR_BODY_TIMEOUT"')
      expect(exchange.response).toMatch(/\r\nconnection: close\r\n/i)
      expect(exchange.closedByServer).toBe(true)
    })
  })

  it('refuses a repeated X-Signature header sent on the wire', async () => {
    const request = await signed(event())
    const token = request.headers['x-signature'] as string
    const exchange = await rawPost({
      url: `${app.url}/webhooks`,
      headers: [`Content-Type: ${JSON_TYPE}`, `X-Signature: ${token}`, `X-Signature: ${token}`],
      bodyBytes: 0,
    })
    expect(exchange.status).toBe(401)
    expect(exchange.response).toContain('ERR_SIGNATURE_DUPLICATE')
  })

  it("hands refusals to the app's own error handler when asked to", async () => {
    const forwarding = await start({ onError: 'forward' })
    const response = await forwarding.send({ headers: { 'content-type': JSON_TYPE }, body: '{}' })
    expect(response.status).toBe(401)
    expect(response.body).toEqual({
      handledBy: 'app',
      code: 'ERR_SIGNATURE_MISSING',
      name: 'WebhookError',
    })
  })

  it('leaves other routes to the framework: /other still gets parsed JSON', async () => {
    const response = await app.send({
      path: '/other',
      headers: { 'content-type': JSON_TYPE },
      body: '{"hello":"world"}',
    })
    expect(response).toMatchObject({ status: 200, body: { body: { hello: 'world' } } })
  })

  it('works beside an app-wide JSON parser set up as the README documents', async () => {
    const documented = await start({ parser: 'documented' })
    const body = event()
    const response = await documented.send(await signed(body))
    expect(response).toMatchObject({ status: 200, body: { body: JSON.parse(body) } })
    const other = await documented.send({
      path: '/other',
      headers: { 'content-type': JSON_TYPE },
      body: '{"hello":"world"}',
    })
    expect(other).toMatchObject({ status: 200, body: { body: { hello: 'world' } } })
  })

  it('never hangs beside a naively mounted parser: it works or says how to fix the setup', async () => {
    const naive = await start({ parser: 'naive' })
    const request = await signed(event())
    // The clock stands still: an adapter waiting for a body already read would never answer.
    useFakeClock(Date.now())
    const answering = naive.send(request)
    await settlesAtOnce(answering, 'the answer')
    vi.useRealTimers()
    const response = await answering
    if (harness.name.startsWith('fastify')) {
      // Fastify's parsers run per route, after the plugin has kept the raw bytes.
      expect(response.status).toBe(200)
    } else {
      expectProblem(response, 'ERR_RAW_BODY_UNAVAILABLE', 500)
      expect((response.body as { detail?: string }).detail).toMatch(/body parser.*README/)
    }
  })
})
