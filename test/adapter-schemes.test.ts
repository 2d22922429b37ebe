/**
 * Every scheme on every adapter and framework major, with no adapter-specific code: one verifier
 * configured for a JWT sender, a Standard Webhooks sender (v1 and v1a) and an OAuth 1.0a sender
 * protects each app, and a valid, a tampered, a replayed and an unsigned request of each scheme get
 * the same answers everywhere.
 */
import { createHash, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier } from '@hookseal/core'
import type { Verifier } from '@hookseal/core'
import {
  createStandardWebhooksKeys,
  oauth1Authorization,
  standardWebhooksHeaders,
} from '@hookseal/core/testing'
import type { StandardWebhooksKeys } from '@hookseal/core/testing'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { generateTestKey, jwksOf, signToken, webhookClaims } from '@hookseal/test-support/test-keys'
import type { TestKey } from '@hookseal/test-support/test-keys'
import { expressHarnesses } from './harness/express.js'
import { fastifyHarnesses } from './harness/fastify.js'
import { koaHarnesses } from './harness/koa.js'
import type {
  AdapterHarness,
  HarnessRequest,
  HarnessResponse,
  RunningApp,
} from './harness/types.js'

const ISSUER = 'https://partner.example'
const ORIGIN = 'https://receiver.example'
const AUDIENCE = `${ORIGIN}/webhooks`
const JSON_TYPE = 'application/json'
const CONSUMER = { key: 'mx-agent', secret: 'mx-consumer-secret' }

const harnesses: AdapterHarness[] = [...expressHarnesses, ...koaHarnesses, ...fastifyHarnesses]

let jwtKey: TestKey
let jwks: JwksServer
let swKeys: StandardWebhooksKeys

beforeAll(async () => {
  jwtKey = generateTestKey('ES256', 'partner-1')
  jwks = await startJwksServer(jwksOf(jwtKey))
  swKeys = createStandardWebhooksKeys()
})

afterAll(async () => {
  await jwks.close()
})

/** A fresh verifier per app, so that each app has its own replay memory. */
function verifier(): Verifier {
  return createVerifier({
    senders: [
      {
        scheme: 'jwt',
        issuer: ISSUER,
        jwksUri: jwks.url,
        audience: AUDIENCE,
        algorithms: ['ES256'],
      },
      {
        scheme: 'standard-webhooks',
        id: 'billing',
        secrets: [swKeys.secret],
        publicKeys: [swKeys.publicKey],
      },
      {
        scheme: 'oauth1',
        id: 'mx',
        origin: ORIGIN,
        consumers: (key) => (key === CONSUMER.key ? { secret: CONSUMER.secret } : undefined),
      },
    ],
    allowInsecureHttp: true,
  })
}

interface SchemeCase {
  readonly name: string
  readonly sender: string
  /** Signs `body`; the headers go with the request. */
  readonly sign: (body: string) => Promise<Record<string, string>>
}

const schemes: SchemeCase[] = [
  {
    name: 'jwt',
    sender: ISSUER,
    sign: async (body) => ({
      'x-signature': await signToken({
        key: jwtKey,
        claims: webhookClaims(ISSUER, AUDIENCE, body),
      }),
    }),
  },
  {
    name: 'standard-webhooks v1',
    sender: 'billing',
    sign: async (body) => standardWebhooksHeaders({ body, secrets: [swKeys.secret] }),
  },
  {
    name: 'standard-webhooks v1a',
    sender: 'billing',
    sign: async (body) => standardWebhooksHeaders({ body, privateKeys: [swKeys.privateKey] }),
  },
  {
    name: 'oauth1',
    sender: 'mx',
    // OAuth 1.0a signs a JSON body only through the body hash extension.
    sign: async (body) => ({
      authorization: oauth1Authorization({
        url: AUDIENCE,
        consumerKey: CONSUMER.key,
        consumerSecret: CONSUMER.secret,
        extra: { oauth_body_hash: createHash('sha1').update(body).digest('base64') },
      }),
    }),
  },
]

function event(): string {
  return JSON.stringify({ type: 'invoice.paid', invoice: randomUUID(), amount: 1200 })
}

function expectProblem(response: HarnessResponse, code: string, status: number): void {
  expect({ status: response.status, code: (response.body as { code?: string }).code }).toEqual({
    status,
    code,
  })
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
}

describe.each(harnesses)('$name', (harness) => {
  let app: RunningApp

  beforeAll(async () => {
    app = await harness.start({ verifier: verifier() })
  })

  afterAll(async () => {
    await app.close()
  })

  async function signed(scheme: SchemeCase, body = event()): Promise<HarnessRequest> {
    return { headers: { 'content-type': JSON_TYPE, ...(await scheme.sign(body)) }, body }
  }

  describe.each(schemes)('$name', (scheme) => {
    it('accepts a valid request and names the sender', async () => {
      const request = await signed(scheme)
      const response = await app.send(request)
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({
        issuer: scheme.sender,
        body: JSON.parse(request.body as string),
      })
    })

    it('refuses a replayed request', async () => {
      const request = await signed(scheme)
      expect((await app.send(request)).status).toBe(200)
      expectProblem(await app.send(request), 'ERR_REPLAY', 401)
    })

    it('refuses a tampered body', async () => {
      const request = await signed(scheme)
      const tampered = { ...request, body: (request.body as string).replace('1200', '9900') }
      const code = scheme.name.startsWith('standard-webhooks')
        ? 'ERR_SIGNATURE_INVALID'
        : 'ERR_BODY_DIGEST_MISMATCH'
      expectProblem(await app.send(tampered), code, 401)
    })

    it('refuses the request when the credentials are stripped of their signature', async () => {
      const { headers, body } = await signed(scheme)
      const unsigned = Object.fromEntries(
        Object.entries(headers).filter(
          ([name]) => !['x-signature', 'webhook-signature', 'authorization'].includes(name),
        ),
      )
      expectProblem(await app.send({ headers: unsigned, body }), 'ERR_SIGNATURE_MISSING', 401)
    })
  })

  it('refuses a request carrying credentials of two schemes as ambiguous', async () => {
    const body = event()
    const headers = {
      'content-type': JSON_TYPE,
      ...(await (schemes[0] as SchemeCase).sign(body)),
      ...(await (schemes[1] as SchemeCase).sign(body)),
    }
    expectProblem(await app.send({ headers, body }), 'ERR_SIGNATURE_AMBIGUOUS', 401)
  })

  it('accepts OAuth 1.0a protocol parameters in a form body, read raw and signed with it', async () => {
    const form = `amount=12.50&invoice=${randomUUID()}`
    const authorization = oauth1Authorization({
      url: AUDIENCE,
      consumerKey: CONSUMER.key,
      consumerSecret: CONSUMER.secret,
      formBody: form,
    })
    // The header's values are percent-encoded already, as a form body wants them.
    const protocol = authorization
      .slice('OAuth '.length)
      .split(', ')
      .map((field) => field.replace('="', '=').slice(0, -1))
      .join('&')
    const headers = { 'content-type': 'application/x-www-form-urlencoded' }
    const response = await app.send({ headers, body: `${form}&${protocol}` })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ issuer: 'mx', bodyIsBytes: true })
    const tampered = `${form.replace('12.50', '99.00')}&${protocol}`
    expectProblem(await app.send({ headers, body: tampered }), 'ERR_SIGNATURE_INVALID', 401)
  })

  it('refuses a malformed OAuth header with a typed 401', async () => {
    const response = await app.send({
      headers: { 'content-type': JSON_TYPE, authorization: 'OAuth oauth_consumer_key=bare' },
      body: event(),
    })
    expectProblem(response, 'ERR_SIGNATURE_MALFORMED', 401)
  })
})
