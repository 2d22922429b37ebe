import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, WebhookError } from '../../src/index.js'
import { createSigner, loadKeySet } from '../../src/send/index.js'
import type { Verifier, WebhookErrorCode } from '../../src/index.js'
import type { Signer, SigningKeySet } from '../../src/send/index.js'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { sha256Hex } from '@hookseal/test-support/test-keys'
import { rejectionOf } from '@hookseal/test-support/rejection'
import { ALGORITHMS, pemOf, privateKeyFor } from './fixtures.js'

const ISSUER = 'https://sender.example'
const URL_SENT = 'https://receiver.example/webhooks?attempt=1#ignored'
const AUDIENCE = 'https://receiver.example/webhooks'
const BODY = '{"type":"invoice.paid","invoice":"in_1042","amount":1200,"note":"café"}'

async function refusalCode(promise: Promise<unknown>): Promise<WebhookErrorCode | undefined> {
  return (await rejectionOf(promise, WebhookError)).code
}

describe.each(ALGORITHMS)('%s tokens from createSigner', (alg) => {
  let keys: SigningKeySet
  let server: JwksServer
  let signer: Signer
  let verifier: Verifier

  beforeAll(async () => {
    keys = await loadKeySet({ keys: [{ pem: pemOf(privateKeyFor(alg)), state: 'active' }] })
    server = await startJwksServer(keys.jwks())
    signer = createSigner({ issuer: ISSUER, keys })
    // Strict defaults: bodyDigest 'required', maxTokenAge 300, replay on.
    verifier = createVerifier({
      issuers: [{ issuer: ISSUER, jwksUri: server.url, audience: AUDIENCE, algorithms: [alg] }],
      allowInsecureHttp: true,
    })
  })

  afterAll(() => server.close())

  it('verify with the strict verifier against the JWKS served over HTTP', async () => {
    const headers = await signer.sign({ body: BODY, url: URL_SENT, webhookId: 'evt_1042' })

    const webhook = await verifier.verify({
      method: 'POST',
      url: '/webhooks?attempt=1',
      headers,
      body: Buffer.from(BODY),
    })

    const [active] = keys.keys()
    expect(webhook).toMatchObject({
      issuer: ISSUER,
      alg,
      kid: active?.kid,
      bodyDigestVerified: true,
    })
    expect(webhook.claims).toMatchObject({
      iss: ISSUER,
      aud: AUDIENCE,
      htm: 'POST',
      htu: AUDIENCE,
      request_body_sha256: sha256Hex(BODY),
    })
    expect(webhook.claims.exp - (webhook.claims.iat ?? 0)).toBe(300)
    expect(headers['webhook-id']).toBe('evt_1042')
  })

  it('verify under typ JWT: the signer sends the typ that the README recommends setting', async () => {
    const typed = createVerifier({
      issuers: [
        { issuer: ISSUER, jwksUri: server.url, audience: AUDIENCE, algorithms: [alg], typ: 'JWT' },
      ],
      allowInsecureHttp: true,
    })
    const headers = await signer.sign({ body: BODY, url: URL_SENT })
    const webhook = await typed.verify({
      method: 'POST',
      url: '/webhooks',
      headers,
      body: Buffer.from(BODY),
    })
    expect(webhook.issuer).toBe(ISSUER)
  })

  it('verify with jose.jwtVerify against the same served JWKS', async () => {
    const headers = await signer.sign({ body: BODY, url: URL_SENT })
    const token = headers['x-signature']

    const { payload, protectedHeader } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(server.url)),
      { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], maxTokenAge: 300, typ: 'JWT' },
    )

    expect(protectedHeader).toEqual({ alg, kid: keys.keys()[0]?.kid, typ: 'JWT' })
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/)
    expect(payload.request_body_sha256).toBe(sha256Hex(BODY))
  })

  it('bind each token to its exact body bytes, whether given as a string or as bytes', async () => {
    const fromBytes = await signer.sign({ body: Buffer.from(BODY), url: URL_SENT })
    const tampered = await signer.sign({ body: BODY, url: URL_SENT })
    const request = (headers: object, body: string) => ({
      method: 'POST',
      url: AUDIENCE,
      headers: headers as Record<string, string>,
      body: Buffer.from(body),
    })

    await expect(verifier.verify(request(fromBytes, BODY))).resolves.toBeDefined()
    expect(await refusalCode(verifier.verify(request(tampered, `${BODY} `)))).toBe(
      'ERR_BODY_DIGEST_MISMATCH',
    )
  })

  it('are refused when replayed, and accepted when re-signed for a retry of the same event', async () => {
    const first = await signer.sign({ body: BODY, url: URL_SENT, webhookId: 'evt_retry' })
    const retry = await signer.sign({ body: BODY, url: URL_SENT, webhookId: 'evt_retry' })
    const deliver = (headers: object) =>
      verifier.verify({
        method: 'POST',
        url: '/webhooks',
        headers: headers as Record<string, string>,
        body: Buffer.from(BODY),
      })

    await deliver(first)
    expect(await refusalCode(deliver(first))).toBe('ERR_REPLAY')
    await expect(deliver(retry)).resolves.toBeDefined()
    expect(retry['webhook-id']).toBe(first['webhook-id'])
    expect(retry['x-signature']).not.toBe(first['x-signature'])
  })

  it('carry the method they were signed for', async () => {
    const headers = await signer.sign({ body: BODY, url: URL_SENT, method: 'PUT' })
    const body = Buffer.from(BODY)

    expect(
      await refusalCode(verifier.verify({ method: 'POST', url: '/webhooks', headers, body })),
    ).toBe('ERR_METHOD_MISMATCH')
    const again = await signer.sign({ body: BODY, url: URL_SENT, method: 'PUT' })
    await expect(
      verifier.verify({ method: 'PUT', url: '/webhooks', headers: again, body }),
    ).resolves.toBeDefined()
    expect(decodeProtectedHeader(again['x-signature']).alg).toBe(alg)
  })
})
