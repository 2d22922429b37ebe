import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPlaidKeySource, createVerifier } from '../../src/index.js'
import type { IssuerOptions, JwtSenderOptions, WebhookRequest } from '../../src/index.js'
import { generateTestKey, sha256Hex, signCompact } from '@hookseal/test-support/test-keys'
import type { TestKey } from '@hookseal/test-support/test-keys'
import { refusal } from './refusal.js'

const BODY = '{"type":"invoice.paid"}'
const AUDIENCE = 'https://receiver.example/webhooks'
const now = (): number => Math.floor(Date.now() / 1000)

function request(headers: Record<string, string>, body = BODY): WebhookRequest {
  return { method: 'POST', url: '/webhooks', headers, body: Buffer.from(body) }
}

let es: TestKey
let ed: TestKey

beforeAll(() => {
  es = generateTestKey('ES256', 'es-1')
  ed = generateTestKey('EdDSA', 'ed-1')
})

/** A JWT sender whose keys come from a function that counts its calls. */
function withKeys(
  options: Partial<IssuerOptions> = {},
  lookup: (kid: string) => object | undefined = (kid) => (kid === es.kid ? es.jwk : undefined),
) {
  const calls: string[] = []
  const sender: JwtSenderOptions = {
    scheme: 'jwt',
    issuer: 'https://partner.example',
    audience: AUDIENCE,
    algorithms: ['ES256'],
    keys: async (kid) => {
      calls.push(kid)
      return lookup(kid)
    },
    ...options,
  }
  return { verifier: createVerifier({ senders: [sender] }), calls }
}

function token(claims: Record<string, unknown> = {}, key: TestKey = es, header: object = {}) {
  return signCompact(key, header, {
    iss: 'https://partner.example',
    aud: AUDIENCE,
    iat: now(),
    exp: now() + 300,
    request_body_sha256: sha256Hex(BODY),
    jti: randomUUID(),
    ...claims,
  })
}

describe('keys(kid) instead of a JWKS URL', () => {
  it('verifies with the key the function returns, and asks once per kid', async () => {
    const { verifier, calls } = withKeys()
    await verifier.verify(request({ 'x-signature': token() }))
    await verifier.verify(request({ 'x-signature': token() }))
    expect(calls).toEqual(['es-1'])
  })

  it('refuses an unknown kid and does not ask again during the cooldown', async () => {
    const { verifier, calls } = withKeys()
    const unknown = token({}, es, { kid: 'made-up' })
    expect(await refusal(verifier.verify(request({ 'x-signature': unknown })))).toEqual({
      code: 'ERR_KEY_NOT_FOUND',
      status: 401,
    })
    await refusal(
      verifier.verify(request({ 'x-signature': token({ jti: 'x' }, es, { kid: 'made-up' }) })),
    )
    expect(calls).toEqual(['made-up'])
  })

  it('applies the JWKS key checks: a key with private members is unusable', async () => {
    const leaked = { ...es.privateKey.export({ format: 'jwk' }), kid: es.kid }
    const { verifier } = withKeys({}, () => leaked)
    expect(await refusal(verifier.verify(request({ 'x-signature': token() })))).toEqual({
      code: 'ERR_KEY_UNUSABLE',
      status: 401,
    })
  })

  it('answers 503 when the function fails, and asks again next time', async () => {
    const { verifier, calls } = withKeys({}, () => {
      throw new Error('key service down')
    })
    for (let i = 0; i < 2; i++) {
      expect(await refusal(verifier.verify(request({ 'x-signature': token() })))).toEqual({
        code: 'ERR_KEYS_UNAVAILABLE',
        status: 503,
      })
    }
    expect(calls).toHaveLength(2)
  })

  it('needs exactly one of jwksUri and keys', () => {
    expect(() =>
      createVerifier({ issuers: [{ issuer: 'https://p.example', audience: AUDIENCE }] }),
    ).toThrow(TypeError)
  })
})

describe('relaxations for senders that sign less', () => {
  it('issuer: null picks the sender by its own header, whatever iss says', async () => {
    const { verifier } = withKeys({ issuer: null, id: 'lean', signatureHeader: 'lean-signature' })
    const webhook = await verifier.verify(request({ 'lean-signature': token({ iss: undefined }) }))
    expect(webhook).toMatchObject({ scheme: 'jwt', sender: 'lean', issuer: 'lean' })
    expect(await refusal(verifier.verify(request({ 'x-signature': token() })))).toEqual({
      code: 'ERR_SIGNATURE_MISSING',
      status: 401,
    })
  })

  it('issuer: null needs a header of its own and an id', () => {
    expect(() => withKeys({ issuer: null, id: 'lean' })).toThrow(TypeError)
    expect(() => withKeys({ issuer: null, signatureHeader: 'lean-signature' })).toThrow(TypeError)
  })

  it('audience: null accepts a token without aud; a configured audience refuses it', async () => {
    const lean = token({ aud: undefined })
    await expect(
      withKeys({ audience: null }).verifier.verify(request({ 'x-signature': lean })),
    ).resolves.toMatchObject({ kid: 'es-1' })
    expect(await refusal(withKeys().verifier.verify(request({ 'x-signature': lean })))).toEqual({
      code: 'ERR_AUDIENCE_MISMATCH',
      status: 401,
    })
  })

  it('requireExp: false accepts a token without exp while maxTokenAge bounds its age', async () => {
    const { verifier } = withKeys({ requireExp: false, maxTokenAge: 300 })
    await verifier.verify(request({ 'x-signature': token({ exp: undefined }) }))
    const old = token({ exp: undefined, iat: now() - 600 })
    expect(await refusal(verifier.verify(request({ 'x-signature': old })))).toEqual({
      code: 'ERR_TOKEN_TOO_OLD',
      status: 401,
    })
    const strict = withKeys().verifier.verify(request({ 'x-signature': token({ exp: undefined }) }))
    expect(await refusal(strict)).toEqual({ code: 'ERR_CLAIM_INVALID', status: 401 })
  })

  it('requireExp: false without maxTokenAge is refused at start-up', () => {
    expect(() => withKeys({ requireExp: false, maxTokenAge: null })).toThrow(TypeError)
  })
})

describe('Ed25519 (RFC 9864) wherever EdDSA is accepted', () => {
  it.each([
    ['an Ed25519 token against an EdDSA key', 'Ed25519', 'EdDSA', ['EdDSA']],
    ['an EdDSA token against an Ed25519 key', 'EdDSA', 'Ed25519', ['EdDSA']],
    ['an Ed25519 token for a sender listing Ed25519', 'Ed25519', 'Ed25519', ['Ed25519']],
  ] as const)('verifies %s', async (_name, tokenAlg, keyAlg, algorithms) => {
    const jwk = { ...ed.jwk, alg: keyAlg }
    const { verifier } = withKeys({ algorithms: [...algorithms] }, () => jwk)
    const webhook = await verifier.verify(
      request({ 'x-signature': token({}, ed, { alg: tokenAlg }) }),
    )
    expect(webhook.alg).toBe(tokenAlg)
  })

  it('still refuses Ed25519 from a sender that accepts neither name', async () => {
    const { verifier } = withKeys({ algorithms: ['ES256'] }, () => ed.jwk)
    const refused = verifier.verify(request({ 'x-signature': token({}, ed, { alg: 'Ed25519' }) }))
    expect(await refusal(refused)).toEqual({ code: 'ERR_ALG_NOT_ALLOWED', status: 401 })
  })
})

/**
 * A local server speaking Plaid's documented `/webhook_verification_key/get`: POST JSON with
 * `client_id`, `secret` and `key_id`; 200 with `{ key, request_id }`, or a Plaid error object.
 */
describe('Plaid', () => {
  const CLIENT_ID = 'client-123'
  const SECRET = 'secret-456'
  let server: Server
  let baseUrl: string
  let plaidKey: TestKey
  let expiredKey: TestKey
  const keyRequests: Array<Record<string, unknown>> = []

  beforeAll(async () => {
    plaidKey = generateTestKey('ES256', '6c5516e1-92dc-479e-a8ff-5a51992e0001')
    expiredKey = generateTestKey('ES256', 'bfbd5111-8e33-4643-8ced-b2e642a72f26')
    const published = (key: TestKey, expiredAt: number | null) => ({
      alg: 'ES256',
      created_at: 1560466150,
      crv: 'P-256',
      expired_at: expiredAt,
      kid: key.kid,
      kty: 'EC',
      use: 'sig',
      x: key.jwk.x,
      y: key.jwk.y,
    })
    server = createServer((req, res) => {
      let text = ''
      req.on('data', (chunk: Buffer) => (text += chunk.toString()))
      req.on('end', () => {
        const body = JSON.parse(text) as Record<string, unknown>
        keyRequests.push({ path: req.url, method: req.method, ...body })
        res.setHeader('content-type', 'application/json')
        const error = (code: string, type: string) => {
          res.statusCode = 400
          res.end(
            JSON.stringify({
              error_type: type,
              error_code: code,
              error_message: code,
              request_id: 'r',
            }),
          )
        }
        if (body.client_id !== CLIENT_ID || body.secret !== SECRET) {
          return error('INVALID_API_KEYS', 'INVALID_INPUT')
        }
        const key =
          body.key_id === plaidKey.kid
            ? published(plaidKey, null)
            : body.key_id === expiredKey.kid
              ? published(expiredKey, 1700000000)
              : undefined
        if (key === undefined) return error('INVALID_WEBHOOK_VERIFICATION_KEY_ID', 'INVALID_INPUT')
        res.end(JSON.stringify({ key, request_id: 'RZ6Omi1bzzwDaLo' }))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  /** The configuration the README documents for Plaid. */
  function plaidVerifier(secret = SECRET) {
    return createVerifier({
      senders: [
        {
          scheme: 'jwt',
          id: 'plaid',
          issuer: null,
          signatureHeader: 'plaid-verification',
          keys: createPlaidKeySource({
            clientId: CLIENT_ID,
            secret,
            environment: baseUrl,
            allowInsecureHttp: true,
          }),
          audience: null,
          requireExp: false,
          maxTokenAge: 300,
          algorithms: ['ES256'],
        },
      ],
    })
  }

  /** A webhook as Plaid sends it: pretty-printed JSON, an ES256 JWT with iat and the body hash only. */
  function plaidWebhook(key: TestKey = plaidKey, transactions = 3): WebhookRequest {
    const body = `{\n  "environment": "sandbox",\n  "error": null,\n  "item_id": "wz666MBjYWTp2PDzzggYhM6oWWmBb",\n  "new_transactions": ${transactions},\n  "webhook_code": "DEFAULT_UPDATE",\n  "webhook_type": "TRANSACTIONS"\n}`
    const jwt = signCompact(
      key,
      { alg: 'ES256', kid: key.kid, typ: 'JWT' },
      {
        iat: now(),
        request_body_sha256: sha256Hex(body),
      },
    )
    return {
      method: 'POST',
      url: '/plaid/webhooks',
      headers: { 'content-type': 'application/json', 'plaid-verification': jwt },
      body: Buffer.from(body),
    }
  }

  it('verifies a Plaid webhook with the documented configuration, asking Plaid once for the key', async () => {
    keyRequests.length = 0
    const verifier = plaidVerifier()
    const webhook = await verifier.verify(plaidWebhook())
    await verifier.verify(plaidWebhook(plaidKey, 4))
    expect(webhook).toMatchObject({
      scheme: 'jwt',
      sender: 'plaid',
      kid: plaidKey.kid,
      bodyDigestVerified: true,
    })
    expect(keyRequests).toEqual([
      {
        path: '/webhook_verification_key/get',
        method: 'POST',
        client_id: CLIENT_ID,
        secret: SECRET,
        key_id: plaidKey.kid,
      },
    ])
  })

  it('refuses the same Plaid webhook twice, and a changed body', async () => {
    const verifier = plaidVerifier()
    const webhook = plaidWebhook()
    await verifier.verify(webhook)
    expect(await refusal(verifier.verify(webhook))).toEqual({ code: 'ERR_REPLAY', status: 401 })
    const changed = { ...plaidWebhook(), body: Buffer.from('{"webhook_code":"OTHER"}') }
    expect(await refusal(verifier.verify(changed))).toEqual({
      code: 'ERR_BODY_DIGEST_MISMATCH',
      status: 401,
    })
  })

  it('refuses a key Plaid reports as expired, and remembers that', async () => {
    keyRequests.length = 0
    const verifier = plaidVerifier()
    for (let i = 0; i < 2; i++) {
      expect(await refusal(verifier.verify(plaidWebhook(expiredKey)))).toEqual({
        code: 'ERR_KEY_UNUSABLE',
        status: 401,
      })
    }
    expect(keyRequests).toHaveLength(1)
  })

  it('answers 503 when Plaid refuses the credentials, so Plaid retries', async () => {
    expect(await refusal(plaidVerifier('wrong').verify(plaidWebhook()))).toEqual({
      code: 'ERR_KEYS_UNAVAILABLE',
      status: 503,
    })
  })
})
