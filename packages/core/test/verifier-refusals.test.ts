import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createVerifier, WebhookError } from '../src/index.js'
import type { IssuerOptions, Verifier, VerifierOptions, WebhookRequest } from '../src/index.js'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import {
  generateTestKey,
  jwksOf,
  segment,
  sha256Hex,
  signToken,
  webhookClaims,
} from '@hookseal/test-support/test-keys'
import type { TestKey } from '@hookseal/test-support/test-keys'
import { rejectionOf } from '@hookseal/test-support/rejection'

const ISSUER = 'https://partner.example'
const AUDIENCE = 'https://receiver.example/webhooks'
const BODY = '{"event":"payment.settled","amount":1200}'

let jwks: JwksServer
let key: TestKey
let verifier: Verifier

function issuerOptions(overrides: Partial<IssuerOptions> = {}): IssuerOptions {
  return { issuer: ISSUER, jwksUri: jwks.url, audience: AUDIENCE, ...overrides }
}

function makeVerifier(
  issuer: Partial<IssuerOptions> = {},
  options: Partial<VerifierOptions> = {},
): Verifier {
  return createVerifier({ issuers: [issuerOptions(issuer)], allowInsecureHttp: true, ...options })
}

function request(token: string | undefined, body = BODY): WebhookRequest {
  return {
    method: 'POST',
    url: '/webhooks',
    headers: token === undefined ? {} : { 'x-signature': token },
    body: Buffer.from(body),
  }
}

async function validToken(claims: Record<string, unknown> = {}, header = {}): Promise<string> {
  return signToken({ key, claims: { ...webhookClaims(ISSUER, AUDIENCE, BODY), ...claims }, header })
}

function refusal(promise: Promise<unknown>): Promise<WebhookError> {
  return rejectionOf(promise, WebhookError)
}

async function expectRefused(
  promise: Promise<unknown>,
  code: string,
  status = 401,
): Promise<WebhookError> {
  const error = await refusal(promise)
  expect({ code: error.code, status: error.status }).toEqual({ code, status })
  expect(error.statusCode).toBe(status)
  return error
}

beforeAll(async () => {
  key = generateTestKey('RS256', 'key-1')
  jwks = await startJwksServer(jwksOf(key))
})

afterAll(() => jwks.close())

beforeEach(() => {
  jwks.setKeys(jwksOf(key))
  verifier = makeVerifier()
})

describe('a valid webhook', () => {
  it('resolves to the verified issuer, kid, alg, claims and id', async () => {
    const token = await validToken({ tenant: 'acme' })
    const webhook = await verifier.verify(request(token))
    expect(webhook).toMatchObject({
      issuer: ISSUER,
      kid: 'key-1',
      alg: 'RS256',
      bodyDigestVerified: true,
      claims: { iss: ISSUER, aud: AUDIENCE, tenant: 'acme' },
    })
    expect(webhook.id).toBe(webhook.claims.jti)
  })
})

describe('the signature header', () => {
  it('refuses a request without one', async () => {
    await expectRefused(verifier.verify(request(undefined)), 'ERR_SIGNATURE_MISSING')
  })

  it('refuses two signature headers in raw headers', async () => {
    const token = await validToken()
    const raw = ['X-Signature', token, 'x-signature', token]
    await expectRefused(
      verifier.verify({ ...request(undefined), headers: raw }),
      'ERR_SIGNATURE_DUPLICATE',
    )
  })

  it('refuses two signature headers folded by Node into one value', async () => {
    const token = await validToken()
    await expectRefused(verifier.verify(request(`${token}, ${token}`)), 'ERR_SIGNATURE_DUPLICATE')
  })

  it('reads Authorization: Bearer only when configured', async () => {
    const token = await validToken()
    const bearer = { ...request(undefined), headers: { authorization: `Bearer ${token}` } }
    await expectRefused(verifier.verify(bearer), 'ERR_SIGNATURE_MISSING')
    const webhook = await makeVerifier({}, { acceptBearer: true }).verify(bearer)
    expect(webhook.kid).toBe('key-1')
  })

  it('refuses a bearer token beside a signature header', async () => {
    const token = await validToken()
    const both = {
      ...request(token),
      headers: { 'x-signature': token, authorization: `Bearer ${token}` },
    }
    await expectRefused(
      makeVerifier({}, { acceptBearer: true }).verify(both),
      'ERR_SIGNATURE_DUPLICATE',
    )
  })
})

describe('strict compact JWS parsing', () => {
  const header = segment({ alg: 'RS256', kid: 'key-1' })
  const payload = segment({ iss: ISSUER })

  it.each([
    ['an empty header', `.${payload}.c2ln`],
    ['a header that is not JSON', `${segment('not json')}.${payload}.c2ln`],
    ['a header that is a JSON array', `${segment('["RS256"]')}.${payload}.c2ln`],
    ['a payload that is JSON null', `${header}.${segment('null')}.c2ln`],
    ['a byte order mark', `${segment('\ufeff{"alg":"RS256"}')}.${payload}.c2ln`],
  ])('refuses %s', async (_name, token) => {
    await expectRefused(verifier.verify(request(token)), 'ERR_TOKEN_MALFORMED')
  })
})

describe('the issuer and its keys', () => {
  it('refuses an issuer that is not configured, without fetching any JWKS', async () => {
    const before = jwks.requestCount
    const token = await validToken({ iss: 'https://stranger.example' })
    await expectRefused(verifier.verify(request(token)), 'ERR_ISSUER_UNKNOWN')
    expect(jwks.requestCount).toBe(before)
  })

  it('refuses a payload changed after signing', async () => {
    const [h, , s] = (await validToken()).split('.')
    const tampered = `${h}.${segment({ ...webhookClaims(ISSUER, AUDIENCE, BODY), amount: 1 })}.${s}`
    await expectRefused(verifier.verify(request(tampered)), 'ERR_SIGNATURE_INVALID')
  })

  it('answers 503 with Retry-After when the JWKS cannot be fetched at all', async () => {
    const down = makeVerifier({ jwksUri: 'http://127.0.0.1:9/jwks.json' })
    const error = await expectRefused(
      down.verify(request(await validToken())),
      'ERR_JWKS_UNAVAILABLE',
      503,
    )
    expect(error.expose).toBe(false)
    expect((error as WebhookError & { retryAfter: number }).retryAfter).toBeGreaterThanOrEqual(1)
  })
})

describe('claims', () => {
  const now = () => Math.floor(Date.now() / 1000)

  it.each([
    ['with a string exp', { exp: String(now() + 60) }, 'ERR_CLAIM_INVALID'],
    ['without iat while a max age is set', { iat: undefined }, 'ERR_CLAIM_INVALID'],
    ['without audience', { aud: undefined }, 'ERR_AUDIENCE_MISMATCH'],
    [
      'with the body digest in uppercase hex',
      { request_body_sha256: sha256Hex(BODY).toUpperCase() },
      'ERR_BODY_DIGEST_MISMATCH',
    ],
    ['signed for another path', { htu: 'https://receiver.example/other' }, 'ERR_URL_MISMATCH'],
  ])('refuses a token %s', async (_name, claims, code) => {
    await expectRefused(verifier.verify(request(await validToken(claims))), code)
  })

  it('accepts matching htm and htu, ignoring the query', async () => {
    const token = await validToken({ htm: 'POST', htu: 'https://receiver.example/webhooks' })
    const webhook = await verifier.verify({
      ...request(token),
      url: 'https://receiver.example/webhooks?attempt=2',
    })
    expect(webhook.claims.htu).toBe('https://receiver.example/webhooks')
  })

  it('refuses htu of another host against an absolute request URL', async () => {
    const token = await validToken({ htu: 'https://attacker.example/webhooks' })
    await expectRefused(
      verifier.verify({ ...request(token), url: 'https://receiver.example/webhooks' }),
      'ERR_URL_MISMATCH',
    )
  })

  describe('a token for /hooks/orders at a path a router reads differently', () => {
    const htu = 'https://receiver.example/hooks/orders'
    const paths = {
      'a dot segment': '/hooks/refunds/../orders',
      'a percent-encoded dot segment': '/hooks/refunds/%2e%2e/orders',
      'a percent-encoded dot segment in upper case': '/hooks/refunds/%2E%2e/orders',
      'a half-encoded dot segment': '/hooks/refunds/.%2E/orders',
      'a single dot segment': '/hooks/./orders',
      'a backslash': '/hooks/refunds/..\\orders',
      'a backslash for a slash': '/hooks\\orders',
      'an empty segment': '/hooks//orders',
      'an empty first segment': '//hooks/orders',
    }

    it.each(Object.entries(paths))('refuses %s with ERR_URL_NOT_CANONICAL', async (_name, path) => {
      const token = await validToken({ htm: 'POST', htu })
      await expectRefused(
        verifier.verify({ ...request(token), url: path }),
        'ERR_URL_NOT_CANONICAL',
      )
      await expectRefused(
        verifier.verify({ ...request(token), url: `https://receiver.example${path}?attempt=1` }),
        'ERR_URL_NOT_CANONICAL',
      )
    })

    it('refuses such a path without htu too, before comparing anything', async () => {
      const token = await validToken()
      await expectRefused(
        verifier.verify({ ...request(token), url: '/webhooks/../webhooks' }),
        'ERR_URL_NOT_CANONICAL',
      )
    })

    it('compares htu with the path as received, not as a URL parser would rewrite it', async () => {
      // The URL parser encodes { as %7B; a router matches the bytes that came.
      const token = await validToken({ htu: 'https://receiver.example/hooks/a%7Bb' })
      await expectRefused(
        verifier.verify({ ...request(token), url: '/hooks/a{b' }),
        'ERR_URL_MISMATCH',
      )
    })

    it('accepts dots that are not whole segments and encoded dots in the query (control)', async () => {
      for (const path of ['/hooks/orders', '/hooks/orders?next=/../x', '/hooks/orders.json/..x']) {
        const htu = `https://receiver.example${path.split('?')[0] ?? ''}`
        const token = await validToken({ htu })
        await expect(verifier.verify({ ...request(token), url: path }), path).resolves.toBeDefined()
      }
    })
  })

  it('refuses a body changed after signing', async () => {
    await expectRefused(
      verifier.verify(request(await validToken(), '{"event":"payment.settled","amount":9999}')),
      'ERR_BODY_DIGEST_MISMATCH',
    )
  })
})

describe('replay', () => {
  it('refuses the same jti twice', async () => {
    const token = await validToken()
    await verifier.verify(request(token))
    await expectRefused(verifier.verify(request(token)), 'ERR_REPLAY')
  })

  it('keys senders without jti by token and body in the compatibility profile', async () => {
    const events: string[] = []
    const compat = makeVerifier(
      { maxTokenAge: null, bodyDigest: 'optional' },
      { onEvent: (event) => events.push(event.type) },
    )
    const iat = Math.floor(Date.now() / 1000) - 3600
    const token = await signToken({
      key,
      claims: { iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 70 * 3600 },
    })
    const first = await compat.verify(request(token, '{"n":1}'))
    expect(first.bodyDigestVerified).toBe(false)
    await expect(compat.verify(request(token, '{"n":2}'))).resolves.toBeDefined()
    await expectRefused(compat.verify(request(token, '{"n":1}')), 'ERR_REPLAY')
    expect(events.filter((type) => type === 'body-digest-absent')).toHaveLength(2)
  })

  it('answers 503 when the replay store fails, rather than accepting', async () => {
    const broken = makeVerifier(
      {},
      { replayStore: { remember: () => Promise.reject(new Error('store down')) } },
    )
    await expectRefused(
      broken.verify(request(await validToken())),
      'ERR_REPLAY_STORE_UNAVAILABLE',
      503,
    )
  })
})

describe('options are checked once, at construction', () => {
  it.each<[string, () => unknown]>([
    ['no issuers', () => createVerifier({ issuers: [] })],
    ['no audience', () => makeVerifier({ audience: [] })],
    ['HS256', () => makeVerifier({ algorithms: ['HS256' as 'RS256'] })],
    ['alg none', () => makeVerifier({ algorithms: ['none' as 'RS256'] })],
    ['a negative clock tolerance', () => makeVerifier({ clockTolerance: -1 })],
    ['an unknown body digest policy', () => makeVerifier({ bodyDigest: 'maybe' as 'optional' })],
    [
      'an issuer configured twice',
      () =>
        createVerifier({ issuers: [issuerOptions(), issuerOptions()], allowInsecureHttp: true }),
    ],
    [
      'a plain-http JWKS without the loopback flag',
      () => createVerifier({ issuers: [issuerOptions()] }),
    ],
    [
      'a plain-http JWKS on a public host',
      () => makeVerifier({ jwksUri: 'http://partner.example/jwks.json' }),
    ],
    ['an empty typ', () => makeVerifier({ typ: '' })],
    ['an empty list of typ values', () => makeVerifier({ typ: [] })],
    ['a typ that is not a string', () => makeVerifier({ typ: [42 as unknown as string] })],
    [
      'Authorization as the signature header',
      () => makeVerifier({}, { signatureHeader: 'Authorization' }),
    ],
  ])('throws a TypeError for %s', (_name, create) => {
    expect(create).toThrow(TypeError)
  })

  it('refuses a body that is not raw bytes', async () => {
    const token = await validToken()
    const parsed = { ...request(token), body: JSON.parse(BODY) as Uint8Array }
    await expect(verifier.verify(parsed)).rejects.toThrow(TypeError)
  })
})
