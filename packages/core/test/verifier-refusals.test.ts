import { createHmac } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
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
  signCompact,
  signToken,
  webhookClaims,
} from '@hookseal/test-support/test-keys'
import type { TestKey } from '@hookseal/test-support/test-keys'

const ISSUER = 'https://partner.example'
const AUDIENCE = 'https://receiver.example/webhooks'
const BODY = '{"event":"payment.settled","amount":1200}'

let jwks: JwksServer
let key: TestKey
let otherKey: TestKey
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

async function refusal(promise: Promise<unknown>): Promise<WebhookError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(WebhookError)
  return error as WebhookError
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
  otherKey = generateTestKey('RS256', 'key-1')
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

  it('refuses a token over the size cap before decoding it', async () => {
    await expectRefused(verifier.verify(request('a'.repeat(8193))), 'ERR_TOKEN_TOO_LARGE')
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
    ['two segments', `${header}.${payload}`],
    ['an empty signature', `${header}.${payload}.`],
    ['five segments (JWE)', `${header}.${payload}.a.b.c`],
    ['an empty header', `.${payload}.c2ln`],
    ['JSON serialization', JSON.stringify({ payload, signatures: [] })],
    ['a header that is not JSON', `${segment('not json')}.${payload}.c2ln`],
    ['a header that is a JSON array', `${segment('["RS256"]')}.${payload}.c2ln`],
    ['a payload that is JSON null', `${header}.${segment('null')}.c2ln`],
    [
      'a header with a duplicate "alg"',
      `${segment('{"alg":"RS256","alg":"none"}')}.${payload}.c2ln`,
    ],
    ['an escaped duplicate name', `${segment('{"alg":"RS256","\\u0061lg":"x"}')}.${payload}.c2ln`],
    ['a payload with a duplicate nested name', `${header}.${segment('{"a":{"b":1,"b":2}}')}.c2ln`],
    ['invalid UTF-8', `${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${payload}.c2ln`],
    ['a byte order mark', `${segment('\ufeff{"alg":"RS256"}')}.${payload}.c2ln`],
  ])('refuses %s', async (_name, token) => {
    await expectRefused(verifier.verify(request(token)), 'ERR_TOKEN_MALFORMED')
  })

  it('refuses base64 padding, the standard alphabet and non-canonical bits in a signed token', async () => {
    const token = await validToken()
    const [h, p, s] = token.split('.') as [string, string, string]
    const variants = [
      `${h}=.${p}.${s}`,
      `${h}.${p}.${s}==`,
      `${h}.${p}.${s.replaceAll('-', '+').replaceAll('_', '/')}+`,
      `${h}.${p} .${s}`,
      // The last base64url character of a 256-byte signature carries 4 unused bits.
      `${h}.${p}.${s.slice(0, -1)}${String.fromCharCode(s.charCodeAt(s.length - 1) ^ 1)}`,
    ]
    for (const variant of variants) {
      await expectRefused(verifier.verify(request(variant)), 'ERR_TOKEN_MALFORMED')
    }
  })
})

describe('the header', () => {
  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg %s, signed or not', async (alg) => {
    const claims = webhookClaims(ISSUER, AUDIENCE, BODY)
    const unsigned = `${segment({ alg, kid: 'key-1' })}.${segment(claims)}`
    await expectRefused(verifier.verify(request(`${unsigned}.`)), 'ERR_TOKEN_MALFORMED')
    await expectRefused(verifier.verify(request(`${unsigned}.c2ln`)), 'ERR_ALG_NOT_ALLOWED')
  })

  it('refuses HS256 signed with the public key as the HMAC secret', async () => {
    const claims = webhookClaims(ISSUER, AUDIENCE, BODY)
    const pem = key.publicKey.export({ type: 'spki', format: 'pem' })
    const input = `${segment({ alg: 'HS256', kid: 'key-1' })}.${segment(claims)}`
    const mac = createHmac('sha256', pem).update(input).digest('base64url')
    await expectRefused(verifier.verify(request(`${input}.${mac}`)), 'ERR_ALG_NOT_ALLOWED')
  })

  it('refuses an algorithm the issuer does not allow', async () => {
    const es = generateTestKey('ES256', 'ec-1')
    jwks.setKeys(jwksOf(key, es))
    const token = await signToken({ key: es, claims: webhookClaims(ISSUER, AUDIENCE, BODY) })
    await expectRefused(verifier.verify(request(token)), 'ERR_ALG_NOT_ALLOWED')
    const relaxed = makeVerifier({ algorithms: ['RS256', 'ES256'] })
    expect((await relaxed.verify(request(token))).alg).toBe('ES256')
  })

  it('refuses a crit header parameter it does not implement', async () => {
    const claims = webhookClaims(ISSUER, AUDIENCE, BODY)
    const token = signCompact(key, { crit: ['exp'], exp: 1 }, claims)
    await expectRefused(verifier.verify(request(token)), 'ERR_CRIT_UNSUPPORTED')
  })

  it('refuses a token without kid', async () => {
    const token = await validToken({}, { kid: undefined })
    await expectRefused(verifier.verify(request(token)), 'ERR_KID_MISSING')
  })

  it('never requests jku, x5u or embedded keys: an attacker key in jwk is ignored', async () => {
    let attackerRequests = 0
    const attacker: Server = createServer((_req, res) => {
      attackerRequests++
      res.end(JSON.stringify(jwksOf(otherKey)))
    })
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
    const attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/jwks`
    try {
      const forged = await signToken({
        key: otherKey,
        claims: webhookClaims(ISSUER, AUDIENCE, BODY),
        header: { jku: attackerUrl, x5u: attackerUrl, jwk: otherKey.jwk, x5c: ['MIIB'] },
      })
      await expectRefused(verifier.verify(request(forged)), 'ERR_SIGNATURE_INVALID')
      expect(attackerRequests).toBe(0)
    } finally {
      attacker.close()
    }
  })
})

describe('the issuer and its keys', () => {
  it('refuses an issuer that is not configured, without fetching any JWKS', async () => {
    const before = jwks.requestCount
    const token = await validToken({ iss: 'https://stranger.example' })
    await expectRefused(verifier.verify(request(token)), 'ERR_ISSUER_UNKNOWN')
    expect(jwks.requestCount).toBe(before)
  })

  it.each(['missing', '../../../../dev/null', '|sleep 10', "x' UNION SELECT '1';--"])(
    'refuses unknown kid %s',
    async (kid) => {
      const token = await validToken({}, { kid })
      await expectRefused(verifier.verify(request(token)), 'ERR_KEY_NOT_FOUND')
    },
  )

  it.each([
    ['use "enc"', { use: 'enc' }],
    ['key_ops without verify', { key_ops: ['encrypt'] }],
    ['a key bound to PS256', { alg: 'PS256' }],
    ['private key material', { d: 'AQAB' }],
  ])('refuses a key with %s', async (_name, change) => {
    jwks.setKeys({ keys: [{ ...key.jwk, ...change }] })
    await expectRefused(verifier.verify(request(await validToken())), 'ERR_KEY_UNUSABLE')
  })

  it('refuses an EC key for an RS256 token', async () => {
    const ec = generateTestKey('ES256', 'key-1')
    jwks.setKeys({ keys: [{ ...ec.jwk, alg: undefined }] })
    await expectRefused(verifier.verify(request(await validToken())), 'ERR_KEY_UNUSABLE')
  })

  it('refuses an RSA key under 2048 bits', async () => {
    const weak = generateTestKey('RS256', 'weak', 1024)
    jwks.setKeys(jwksOf(weak))
    const token = signCompact(weak, {}, webhookClaims(ISSUER, AUDIENCE, BODY))
    const error = await expectRefused(verifier.verify(request(token)), 'ERR_KEY_UNUSABLE')
    expect(error.message).toContain('1024 bits')
  })

  it('refuses a kid published twice rather than guess', async () => {
    jwks.setKeys(jwksOf(key, otherKey))
    await expectRefused(verifier.verify(request(await validToken())), 'ERR_KEY_UNUSABLE')
  })

  it('refuses a signature made by another key under the same kid', async () => {
    const forged = await signToken({ key: otherKey, claims: webhookClaims(ISSUER, AUDIENCE, BODY) })
    await expectRefused(verifier.verify(request(forged)), 'ERR_SIGNATURE_INVALID')
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
    ['expired', { exp: now() - 31 }, 'ERR_TOKEN_EXPIRED'],
    ['not yet valid', { nbf: now() + 60 }, 'ERR_TOKEN_NOT_YET_VALID'],
    ['issued in the future', { iat: now() + 60, exp: now() + 300 }, 'ERR_TOKEN_ISSUED_IN_FUTURE'],
    ['too old', { iat: now() - 331, exp: now() + 300 }, 'ERR_TOKEN_TOO_OLD'],
    ['without exp', { exp: undefined }, 'ERR_CLAIM_INVALID'],
    ['with a string exp', { exp: String(now() + 60) }, 'ERR_CLAIM_INVALID'],
    ['without iat while a max age is set', { iat: undefined }, 'ERR_CLAIM_INVALID'],
    ['for another audience', { aud: 'https://other.example' }, 'ERR_AUDIENCE_MISMATCH'],
    ['without audience', { aud: undefined }, 'ERR_AUDIENCE_MISMATCH'],
    [
      'with a body digest of another body',
      { request_body_sha256: '00'.repeat(32) },
      'ERR_BODY_DIGEST_MISMATCH',
    ],
    ['without a body digest', { request_body_sha256: undefined }, 'ERR_BODY_DIGEST_MISSING'],
    [
      'with the body digest in uppercase hex',
      { request_body_sha256: sha256Hex(BODY).toUpperCase() },
      'ERR_BODY_DIGEST_MISMATCH',
    ],
    ['signed for another method', { htm: 'PUT' }, 'ERR_METHOD_MISMATCH'],
    ['signed for another path', { htu: 'https://receiver.example/other' }, 'ERR_URL_MISMATCH'],
  ])('refuses a token %s', async (_name, claims, code) => {
    await expectRefused(verifier.verify(request(await validToken(claims))), code)
  })

  it('accepts tokens within the clock tolerance', async () => {
    const token = await validToken({ exp: now() - 20, iat: now() + 20 })
    await expect(verifier.verify(request(token))).resolves.toBeDefined()
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
