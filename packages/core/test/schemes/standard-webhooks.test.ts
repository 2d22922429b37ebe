import { readFileSync } from 'node:fs'
import { Webhook } from 'standardwebhooks'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { parseSignatureHeader as parseStandardWebhooksSignature } from '../../src/schemes/standard-webhooks/parse-signature-header.js'
import { createVerifier } from '../../src/index.js'
import { signStandardWebhook } from '../../src/send/index.js'
import type { StandardWebhooksSenderOptions, VerifierOptions } from '../../src/index.js'
import { createStandardWebhooksKeys } from '../../src/testing/index.js'
import type { StandardWebhooksKeys } from '../../src/testing/index.js'
import { refusal } from './refusal.js'
import { generateTestKey, jwksOf, signToken, webhookClaims } from '@hookseal/test-support/test-keys'
import { startJwksServer } from '@hookseal/test-support/jwks-server'

interface VectorCase {
  id: string
  secret: string
  payload: string
  headers: Record<string, string>
  verify_now: number
  expected: 'valid' | 'invalid'
}

const vectors = JSON.parse(
  readFileSync(
    new URL('../../../../test/vectors/standardwebhooks/vectors.json', import.meta.url),
    'utf8',
  ),
) as {
  cases: VectorCase[]
  invalid_secrets: { cases: string[] }
  spec_example_parse_only: Record<string, string>
}

const BODY = Buffer.from('{"type":"invoice.paid","amount":1200}')

function sender(
  options: Partial<StandardWebhooksSenderOptions> = {},
): StandardWebhooksSenderOptions {
  return { scheme: 'standard-webhooks', id: 'billing', ...options }
}

function verifierOf(...senders: StandardWebhooksSenderOptions[]) {
  return createVerifier({ senders })
}

function request(headers: Record<string, string> | string[], body: Uint8Array = BODY) {
  return { method: 'POST', url: '/webhooks', headers, body }
}

let keys: StandardWebhooksKeys

beforeAll(() => {
  keys = createStandardWebhooksKeys()
})

afterEach(() => {
  vi.useRealTimers()
})

describe('Standard Webhooks corpus vectors', () => {
  it.each(vectors.cases.map((c) => [c.id, c] as const))('%s', async (_id, vector) => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(vector.verify_now * 1000)
    const verify = verifierOf(sender({ secrets: [vector.secret], replay: false })).verify(
      request(vector.headers, Buffer.from(vector.payload)),
    )
    if (vector.expected === 'valid') {
      await expect(verify).resolves.toMatchObject({
        scheme: 'standard-webhooks',
        sender: 'billing',
        id: vector.headers['webhook-id'] ?? vector.headers['Webhook-Id'],
      })
    } else {
      expect((await refusal(verify)).status).toBe(401)
    }
  })

  it('refuses the corpus invalid secrets when the verifier is created', () => {
    for (const secret of vectors.invalid_secrets.cases) {
      expect(() => verifierOf(sender({ secrets: [secret] }))).toThrow(TypeError)
    }
  })

  it("parses the specification's example header into its v1 and v1a signatures", () => {
    const parsed = parseStandardWebhooksSignature(
      vectors.spec_example_parse_only['webhook-signature'] as string,
    )
    expect(parsed.map((s) => [s.version, s.signature.length])).toEqual([
      ['v1', 32],
      ['v1a', 64],
    ])
  })
})

describe('Standard Webhooks interop with the official standardwebhooks package', () => {
  it('verifies what the official library signs', async () => {
    const official = new Webhook(keys.secret)
    const now = new Date()
    const id = 'msg_official_1'
    const signature = official.sign(id, now, BODY.toString())
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature,
    }
    const webhook = await verifierOf(sender({ secrets: [keys.secret] })).verify(request(headers))
    expect(webhook).toMatchObject({ scheme: 'standard-webhooks', kid: 'v1/0', alg: 'HS256', id })
  })

  it('signs what the official library verifies', () => {
    const headers = signStandardWebhook({ body: BODY, secrets: [keys.secret] })
    expect(new Webhook(keys.secret).verify(BODY.toString(), { ...headers })).toEqual(
      JSON.parse(BODY.toString()),
    )
  })

  it('is refused by the official library when hookseal signed another body', () => {
    const headers = signStandardWebhook({ body: BODY, secrets: [keys.secret] })
    expect(() => new Webhook(keys.secret).verify('{"type":"other"}', { ...headers })).toThrow()
  })
})

describe('Standard Webhooks v1 and v1a', () => {
  it('verifies v1a (Ed25519) against a whpk_ public key and refuses a tampered body', async () => {
    const verifier = verifierOf(sender({ publicKeys: [keys.publicKey] }))
    const headers = signStandardWebhook({ body: BODY, privateKeys: [keys.privateKey] })
    await expect(verifier.verify(request(headers))).resolves.toMatchObject({
      kid: 'v1a/0',
      alg: 'EdDSA',
      standardWebhooks: { version: 'v1a' },
    })
    const tampered = signStandardWebhook({ body: BODY, privateKeys: [keys.privateKey] })
    expect(await refusal(verifier.verify(request(tampered, Buffer.from('{}'))))).toEqual({
      code: 'ERR_SIGNATURE_INVALID',
      status: 401,
    })
  })

  it('accepts every secret of a rotation and says which one verified', async () => {
    const next = createStandardWebhooksKeys()
    const verifier = verifierOf(sender({ secrets: [keys.secret, next.secret] }))
    const headers = signStandardWebhook({ body: BODY, secrets: [next.secret] })
    await expect(verifier.verify(request(headers))).resolves.toMatchObject({ kid: 'v1/1' })
  })

  it('picks the sender whose secret verifies among several', async () => {
    const other = createStandardWebhooksKeys()
    const verifier = verifierOf(
      sender({ id: 'billing', secrets: [keys.secret] }),
      sender({ id: 'shipping', secrets: [other.secret] }),
    )
    const headers = signStandardWebhook({ body: BODY, secrets: [other.secret] })
    await expect(verifier.verify(request(headers))).resolves.toMatchObject({ sender: 'shipping' })
  })

  it('refuses a webhook-id seen before', async () => {
    const verifier = verifierOf(sender({ secrets: [keys.secret] }))
    const headers = signStandardWebhook({ body: BODY, secrets: [keys.secret] })
    await verifier.verify(request(headers))
    expect(await refusal(verifier.verify(request(headers)))).toEqual({
      code: 'ERR_REPLAY',
      status: 401,
    })
  })

  it('refuses timestamps outside the tolerance, both ways', async () => {
    const verifier = verifierOf(sender({ secrets: [keys.secret], tolerance: 60 }))
    const now = Math.floor(Date.now() / 1000)
    for (const timestamp of [now - 120, now + 120]) {
      const headers = signStandardWebhook({ body: BODY, secrets: [keys.secret], timestamp })
      expect(await refusal(verifier.verify(request(headers)))).toEqual({
        code: 'ERR_TIMESTAMP_OUT_OF_WINDOW',
        status: 401,
      })
    }
  })

  it.each([
    ['no webhook-id', { 'webhook-id': undefined }, 'ERR_SIGNATURE_MALFORMED'],
    [
      'a timestamp with a fraction',
      { 'webhook-timestamp': '1614265330.5' },
      'ERR_SIGNATURE_MALFORMED',
    ],
    ['no known signature version', { 'webhook-signature': 'v9,abc' }, 'ERR_SIGNATURE_MALFORMED'],
    ['an empty signature header', { 'webhook-signature': '' }, 'ERR_SIGNATURE_MALFORMED'],
  ] as const)('refuses %s with a typed 401', async (_name, change, code) => {
    const headers: Record<string, string | undefined> = {
      ...signStandardWebhook({ body: BODY, secrets: [keys.secret] }),
      ...change,
    }
    const verify = verifierOf(sender({ secrets: [keys.secret] })).verify(
      request(headers as Record<string, string>),
    )
    expect(await refusal(verify)).toEqual({ code, status: 401 })
  })

  it('refuses two webhook-signature headers as a duplicate', async () => {
    const signed = signStandardWebhook({ body: BODY, secrets: [keys.secret] })
    const raw = Object.entries(signed).flat()
    raw.push('Webhook-Signature', signed['webhook-signature'])
    expect(
      await refusal(verifierOf(sender({ secrets: [keys.secret] })).verify(request(raw))),
    ).toEqual({ code: 'ERR_SIGNATURE_DUPLICATE', status: 401 })
  })
})

describe('scheme dispatch', () => {
  const ISSUER = 'https://partner.example'
  const AUDIENCE = 'https://receiver.example/webhooks'

  async function mixed(): Promise<{
    options: VerifierOptions
    token: string
    close: () => Promise<void>
  }> {
    const key = generateTestKey('ES256', 'k1')
    const jwks = await startJwksServer(jwksOf(key))
    const token = await signToken({
      key,
      claims: webhookClaims(ISSUER, AUDIENCE, BODY.toString()),
    })
    const options: VerifierOptions = {
      senders: [
        {
          scheme: 'jwt',
          issuer: ISSUER,
          jwksUri: jwks.url,
          audience: AUDIENCE,
          algorithms: ['ES256'],
        },
        sender({ secrets: [keys.secret] }),
      ],
      allowInsecureHttp: true,
    }
    return { options, token, close: () => jwks.close() }
  }

  it('sends each request to the scheme its headers name', async () => {
    const { options, token, close } = await mixed()
    try {
      const verifier = createVerifier(options)
      const jwt = await verifier.verify(request({ 'x-signature': token }))
      const sw = await verifier.verify(
        request(signStandardWebhook({ body: BODY, secrets: [keys.secret] })),
      )
      expect([jwt.scheme, jwt.sender, sw.scheme, sw.sender]).toEqual([
        'jwt',
        ISSUER,
        'standard-webhooks',
        'billing',
      ])
    } finally {
      await close()
    }
  })

  it('refuses credentials of two schemes as ambiguous', async () => {
    const { options, token, close } = await mixed()
    try {
      const headers = {
        ...signStandardWebhook({ body: BODY, secrets: [keys.secret] }),
        'x-signature': token,
      }
      expect(await refusal(createVerifier(options).verify(request(headers)))).toEqual({
        code: 'ERR_SIGNATURE_AMBIGUOUS',
        status: 401,
      })
    } finally {
      await close()
    }
  })

  it('refuses a scheme no sender is configured for like a missing signature', async () => {
    const headers = signStandardWebhook({ body: BODY, secrets: [keys.secret] })
    const jwtOnly = createVerifier({
      issuers: [{ issuer: ISSUER, jwksUri: 'https://partner.example/jwks', audience: AUDIENCE }],
    })
    expect(await refusal(jwtOnly.verify(request(headers)))).toEqual({
      code: 'ERR_SIGNATURE_MISSING',
      status: 401,
    })
    const swOnly = verifierOf(sender({ secrets: [keys.secret] }))
    expect(await refusal(swOnly.verify(request({ 'x-signature': 'a.b.c' })))).toEqual({
      code: 'ERR_SIGNATURE_MISSING',
      status: 401,
    })
  })

  it('refuses an unknown scheme and an empty configuration when created', () => {
    expect(() => createVerifier({ senders: [] })).toThrow(TypeError)
    expect(() =>
      createVerifier({ senders: [{ scheme: 'hmac' } as unknown as StandardWebhooksSenderOptions] }),
    ).toThrow(TypeError)
  })
})
