/**
 * The requests every runtime is driven with. Each case is a sequence of requests to one route of
 * `fetch-app.ts` (a replay is the same request twice); the answers are compared with the Express
 * adapter's, and the statuses are pinned here too so that two equally wrong answers cannot agree.
 */
import { createHash, randomUUID } from 'node:crypto'
import { oauth1Authorization, standardWebhooksHeaders } from '@hookseal/core/testing'
import type { StandardWebhooksKeys } from '@hookseal/core/testing'
import { segment, signToken, webhookClaims } from '@hookseal/test-support/test-keys'
import type { TestKey } from '@hookseal/test-support/test-keys'
import type { RoutePath } from './fetch-app.js'

export const ISSUER = 'https://partner.example'
export const ORIGIN = 'https://receiver.example'
export const AUDIENCE = `${ORIGIN}/webhooks`
export const CONSUMER = { key: 'mx-agent', secret: 'mx-consumer-secret' }
const JSON_TYPE = 'application/json'

export interface CaseRequest {
  headers: Record<string, string>
  body: string
}

export interface RuntimeCase {
  readonly name: string
  readonly route: RoutePath
  /** The statuses the requests must get, in order. */
  readonly statuses: readonly number[]
  readonly requests: () => Promise<CaseRequest[]>
}

export interface CaseKeys {
  /** JWT signing keys, one per algorithm, all in the sender's JWKS. */
  readonly jwt: readonly TestKey[]
  /** A key of the right kid that the JWKS does not hold. */
  readonly stranger: TestKey
  readonly standardWebhooks: StandardWebhooksKeys
}

type Signer = (body: string) => Promise<Record<string, string>>

function event(): string {
  return JSON.stringify({ type: 'invoice.paid', invoice: randomUUID(), amount: 1200 })
}

function jwtSigner(key: TestKey, claims: Record<string, unknown> = {}): Signer {
  return async (body) => ({
    'x-signature': await signToken({
      key,
      claims: { ...webhookClaims(ISSUER, AUDIENCE, body), ...claims },
    }),
  })
}

function oauth1Signer(signatureMethod: 'HMAC-SHA1' | 'HMAC-SHA256'): Signer {
  const digest = signatureMethod === 'HMAC-SHA1' ? 'sha1' : 'sha256'
  return async (body) => ({
    // OAuth 1.0a signs a JSON body only through the body hash extension.
    authorization: oauth1Authorization({
      url: AUDIENCE,
      consumerKey: CONSUMER.key,
      consumerSecret: CONSUMER.secret,
      signatureMethod,
      extra: { oauth_body_hash: createHash(digest).update(body).digest('base64') },
    }),
  })
}

async function signed(sign: Signer, body = event()): Promise<CaseRequest> {
  return { headers: { 'content-type': JSON_TYPE, ...(await sign(body)) }, body }
}

const CREDENTIALS = ['x-signature', 'webhook-signature', 'authorization']

/** Every case, for the keys of this run. */
export function runtimeCases(keys: CaseKeys): RuntimeCase[] {
  const sw = keys.standardWebhooks
  const schemes: Array<{ name: string; sign: Signer; tamperedStatus: number; paths: RoutePath[] }> =
    [
      ...keys.jwt.map((key) => ({
        name: `jwt ${key.alg}`,
        sign: jwtSigner(key),
        tamperedStatus: 401,
        paths: ['/webhooks', '/plain'] as RoutePath[],
      })),
      {
        name: 'standard-webhooks v1',
        sign: async (body: string) => standardWebhooksHeaders({ body, secrets: [sw.secret] }),
        tamperedStatus: 401,
        paths: ['/webhooks', '/plain'],
      },
      {
        name: 'standard-webhooks v1a',
        sign: async (body: string) =>
          standardWebhooksHeaders({ body, privateKeys: [sw.privateKey] }),
        tamperedStatus: 401,
        paths: ['/webhooks', '/plain'],
      },
      // OAuth 1.0a signs the URL, and the Express app compared with serves /webhooks only.
      {
        name: 'oauth1 HMAC-SHA1',
        sign: oauth1Signer('HMAC-SHA1'),
        tamperedStatus: 401,
        paths: ['/webhooks'],
      },
      {
        name: 'oauth1 HMAC-SHA256',
        sign: oauth1Signer('HMAC-SHA256'),
        tamperedStatus: 401,
        paths: ['/webhooks'],
      },
    ]
  const [firstJwt] = keys.jwt
  if (firstJwt === undefined) throw new Error('runtimeCases: no JWT key')
  const jwt = jwtSigner(firstJwt)

  const cases: RuntimeCase[] = []
  for (const scheme of schemes) {
    for (const route of scheme.paths) {
      cases.push({
        name: `${scheme.name} on ${route}: valid, then replayed`,
        route,
        statuses: [200, 401],
        requests: async () => {
          const request = await signed(scheme.sign)
          return [request, request]
        },
      })
    }
    cases.push(
      {
        name: `${scheme.name}: tampered body`,
        route: '/webhooks',
        statuses: [scheme.tamperedStatus],
        requests: async () => {
          const request = await signed(scheme.sign)
          return [{ ...request, body: request.body.replace('1200', '9900') }]
        },
      },
      {
        name: `${scheme.name}: credentials stripped of their signature`,
        route: '/webhooks',
        statuses: [401],
        requests: async () => {
          const { headers, body } = await signed(scheme.sign)
          const unsigned = Object.fromEntries(
            Object.entries(headers).filter(([name]) => !CREDENTIALS.includes(name)),
          )
          return [{ headers: unsigned, body }]
        },
      },
    )
  }

  const single = (
    name: string,
    route: RoutePath,
    status: number,
    request: () => Promise<CaseRequest>,
  ): RuntimeCase => ({ name, route, statuses: [status], requests: async () => [await request()] })

  cases.push(
    single('credentials of two schemes are ambiguous', '/webhooks', 401, async () => {
      const body = event()
      const headers = {
        'content-type': JSON_TYPE,
        ...(await jwt(body)),
        ...standardWebhooksHeaders({ body, secrets: [sw.secret] }),
      }
      return { headers, body }
    }),
    single('a malformed OAuth header', '/webhooks', 401, async () => ({
      headers: { 'content-type': JSON_TYPE, authorization: 'OAuth oauth_consumer_key=bare' },
      body: event(),
    })),
    single('no signature header', '/webhooks', 401, async () => ({
      headers: { 'content-type': JSON_TYPE },
      body: event(),
    })),
    single('a token that is not a JWS', '/webhooks', 401, async () => ({
      headers: { 'content-type': JSON_TYPE, 'x-signature': 'a.b' },
      body: event(),
    })),
    single('alg none', '/webhooks', 401, async () => {
      const body = event()
      const token = `${segment({ alg: 'none', kid: firstJwt.kid })}.${segment(webhookClaims(ISSUER, AUDIENCE, body))}.AA`
      return { headers: { 'content-type': JSON_TYPE, 'x-signature': token }, body }
    }),
    single('an unknown issuer', '/webhooks', 401, () =>
      signed(jwtSigner(firstJwt, { iss: 'https://stranger.example' })),
    ),
    single('a forged signature', '/webhooks', 401, () => signed(jwtSigner(keys.stranger))),
    single('an expired token', '/webhooks', 401, () =>
      signed(jwtSigner(firstJwt, { exp: Math.floor(Date.now() / 1000) - 120 })),
    ),
    single('authentication before the body: an unsigned bad body', '/strict', 401, async () => ({
      headers: { 'content-type': JSON_TYPE },
      body: '{not json',
    })),
    single('a body that is not JSON is handed over as bytes', '/webhooks', 200, async () => {
      const body = 'plain text, signed'
      return { headers: { 'content-type': 'text/plain', ...(await jwt(body)) }, body }
    }),
    single('a signed body over the limit, by its Content-Length', '/limited', 413, () =>
      signed(jwt, JSON.stringify({ type: 'big', padding: 'x'.repeat(200) })),
    ),
    single('authorize says no', '/forbidden', 403, () => signed(jwt)),
    single('a verified body the route does not accept', '/strict', 400, () =>
      signed(jwt, JSON.stringify({ amount: 1 })),
    ),
    single('the JWKS endpoint is down', '/down', 503, () => signed(jwt)),
  )
  return cases
}
