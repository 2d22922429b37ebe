import { afterEach, describe, expect, it } from 'vitest'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { generateTestKey, jwksOf } from '@hookseal/test-support/test-keys'
import { advanceDate, useFakeDate } from '@hookseal/test-support/fake-clock'
import { vi } from 'vitest'
import { createVerifier } from '../../src/index.js'
import type { VerifierEvent } from '../../src/index.js'
import { signStandardWebhook } from '../../src/send/index.js'
import { refusal } from './refusal.js'

const BODY = Buffer.from('{"type":"invoice.paid","amount":1200}')
let server: JwksServer | undefined

afterEach(async () => {
  vi.useRealTimers()
  await server?.close()
  server = undefined
})

function request(headers: Record<string, string>, body: Uint8Array = BODY) {
  return { method: 'POST', url: '/webhooks', headers, body }
}

async function verifierFor(keys: object, events: VerifierEvent[] = []) {
  server = await startJwksServer(keys)
  return createVerifier({
    senders: [{ scheme: 'standard-webhooks', id: 'billing', jwksUri: server.url }],
    allowInsecureHttp: true,
    onEvent: (event) => events.push(event),
  })
}

describe('Standard Webhooks v1a keys from a JWKS', () => {
  it('verifies with an Ed25519 key of the JWKS, fetched once, and names its kid', async () => {
    const key = generateTestKey('EdDSA', 'ed-2026')
    const other = generateTestKey('EdDSA', 'ed-old')
    const verifier = await verifierFor(jwksOf(other, key))
    for (let i = 0; i < 3; i++) {
      const headers = signStandardWebhook({ body: BODY, privateKeys: [key.privateKey] })
      await expect(verifier.verify(request(headers))).resolves.toMatchObject({
        scheme: 'standard-webhooks',
        sender: 'billing',
        kid: 'v1a/jwk:ed-2026',
        alg: 'EdDSA',
        standardWebhooks: { version: 'v1a' },
      })
    }
    expect(server?.requestCount).toBe(1)
  })

  it('refuses a tampered body and a key the JWKS does not hold', async () => {
    const key = generateTestKey('EdDSA', 'ed-2026')
    const stranger = generateTestKey('EdDSA', 'ed-2026')
    const verifier = await verifierFor(jwksOf(key))
    const signed = signStandardWebhook({ body: BODY, privateKeys: [key.privateKey] })
    expect(await refusal(verifier.verify(request(signed, Buffer.from('{}'))))).toEqual({
      code: 'ERR_SIGNATURE_INVALID',
      status: 401,
    })
    const forged = signStandardWebhook({ body: BODY, privateKeys: [stranger.privateKey] })
    expect(await refusal(verifier.verify(request(forged)))).toEqual({
      code: 'ERR_SIGNATURE_INVALID',
      status: 401,
    })
  })

  it('gives keys the JWKS checks: an Ed25519 key marked for another use is never tried', async () => {
    const key = generateTestKey('EdDSA', 'ed-enc')
    const verifier = await verifierFor({ keys: [{ ...key.jwk, use: 'enc' }] })
    const headers = signStandardWebhook({ body: BODY, privateKeys: [key.privateKey] })
    expect(await refusal(verifier.verify(request(headers)))).toEqual({
      code: 'ERR_SIGNATURE_INVALID',
      status: 401,
    })
  })

  it('refetches once for a key published since, then holds off under the cooldown', async () => {
    useFakeDate()
    const old = generateTestKey('EdDSA', 'ed-old')
    const rotated = generateTestKey('EdDSA', 'ed-new')
    const verifier = await verifierFor(jwksOf(old))
    const first = signStandardWebhook({ body: BODY, privateKeys: [old.privateKey] })
    await verifier.verify(request(first))
    expect(server?.requestCount).toBe(1)

    advanceDate(2000)
    server?.setKeys(jwksOf(old, rotated))
    const next = signStandardWebhook({ body: BODY, privateKeys: [rotated.privateKey] })
    await expect(verifier.verify(request(next))).resolves.toMatchObject({ kid: 'v1a/jwk:ed-new' })
    expect(server?.requestCount).toBe(2)

    // Made-up signatures do not make the receiver hammer the sender's endpoint.
    const stranger = generateTestKey('EdDSA', 'ed-x')
    for (let i = 0; i < 5; i++) {
      const forged = signStandardWebhook({ body: BODY, privateKeys: [stranger.privateKey] })
      expect((await refusal(verifier.verify(request(forged)))).code).toBe('ERR_SIGNATURE_INVALID')
    }
    expect(server?.requestCount).toBe(2)
  })

  it('answers 503 when the JWKS cannot be fetched, so the sender retries', async () => {
    const key = generateTestKey('EdDSA', 'ed-2026')
    const verifier = await verifierFor(jwksOf(key))
    server?.setBehaviour('down')
    const headers = signStandardWebhook({ body: BODY, privateKeys: [key.privateKey] })
    expect(await refusal(verifier.verify(request(headers)))).toEqual({
      code: 'ERR_JWKS_UNAVAILABLE',
      status: 503,
    })
  })

  it('takes v1 secrets beside the JWKS and never fetches for them', async () => {
    const secret = `whsec_${Buffer.from('a-secret-of-thirty-two-bytes-0123').toString('base64')}`
    server = await startJwksServer(jwksOf(generateTestKey('EdDSA')))
    const verifier = createVerifier({
      senders: [
        { scheme: 'standard-webhooks', id: 'billing', secrets: [secret], jwksUri: server.url },
      ],
      allowInsecureHttp: true,
    })
    const headers = signStandardWebhook({ body: BODY, secrets: [secret] })
    await expect(verifier.verify(request(headers))).resolves.toMatchObject({ kid: 'v1/0' })
    expect(server.requestCount).toBe(0)
  })

  it('refuses a plain-http jwksUri when created, unless on loopback with allowInsecureHttp', () => {
    expect(() =>
      createVerifier({
        senders: [
          { scheme: 'standard-webhooks', id: 'billing', jwksUri: 'http://keys.example/jwks' },
        ],
      }),
    ).toThrow(TypeError)
  })
})
