import { createHash } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterEach, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { createSigner, loadKeySet } from '../../src/send/index.js'
import type { HeadersInput } from '../../src/index.js'
import type {
  SignerOptions,
  SignedWebhookHeaders,
  SignWebhookRequest,
  SigningKeySet,
} from '../../src/send/index.js'
import { ALGORITHMS, pemOf, privateKeyFor } from './fixtures.js'

const ISSUER = 'https://sender.example'
const URL_SENT = 'https://receiver.example/hooks/in?tenant=7#top'
const TARGET = 'https://receiver.example/hooks/in'

let keys: SigningKeySet

beforeAll(async () => {
  keys = await loadKeySet({
    keys: [{ pem: pemOf(privateKeyFor('ES256')), kid: 'sig-1', state: 'active' }],
  })
})

afterEach(() => {
  vi.useRealTimers()
})

function signature(token: string): Buffer {
  return Buffer.from(token.split('.')[2] ?? '', 'base64url')
}

describe('createSigner', () => {
  it('signs the documented claims and header', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.UTC(2026, 6, 1, 12, 0, 0, 999))
    const body = '{"type":"order.created","id":"ord_1"}'

    const headers = await createSigner({ issuer: ISSUER, keys, expiresIn: 120 }).sign({
      body,
      url: URL_SENT,
      method: 'PUT',
    })

    const token = headers['x-signature']
    expect(Object.keys(headers).sort()).toEqual(['webhook-id', 'x-signature'])
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: 'sig-1', typ: 'JWT' })
    const iat = Date.UTC(2026, 6, 1, 12, 0, 0) / 1000
    expect(decodeJwt(token)).toEqual({
      iss: ISSUER,
      aud: TARGET,
      iat,
      exp: iat + 120,
      jti: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      htm: 'PUT',
      htu: TARGET,
      request_body_sha256: createHash('sha256').update(body).digest('hex'),
    })
    expect(headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('returns headers that fit Fetch and the verifier as they are', () => {
    expectTypeOf<SignedWebhookHeaders>().toExtend<Record<string, string>>()
    expectTypeOf<SignedWebhookHeaders>().toExtend<HeadersInput>()
  })

  it('makes an ES256 signature of r || s, 64 bytes, not DER', async () => {
    const { 'x-signature': token } = await createSigner({ issuer: ISSUER, keys }).sign({
      body: '',
      url: URL_SENT,
    })
    expect(signature(token)).toHaveLength(64)
  })

  it('gives each attempt a fresh jti and keeps the given webhook id', async () => {
    const signer = createSigner({ issuer: ISSUER, keys })
    const request = { body: new Uint8Array([1, 2, 3]), url: URL_SENT, webhookId: 'evt_42' }

    const attempts = await Promise.all([1, 2, 3].map(() => signer.sign(request)))

    expect(new Set(attempts.map((headers) => decodeJwt(headers['x-signature']).jti)).size).toBe(3)
    expect(attempts.map((headers) => headers['webhook-id'])).toEqual(['evt_42', 'evt_42', 'evt_42'])
  })

  it('uses the given audience, and leaves user info out of htu and aud', async () => {
    const signer = createSigner({ issuer: ISSUER, keys })
    const withAudience = await signer.sign({ body: '', url: URL_SENT, audience: 'receiver-42' })
    const withCredentials = await signer.sign({
      body: '',
      url: 'https://user:pa55@receiver.example:8443/in?token=x',
    })

    expect(decodeJwt(withAudience['x-signature'])).toMatchObject({
      aud: 'receiver-42',
      htu: TARGET,
    })
    const claims = decodeJwt(withCredentials['x-signature'])
    expect(claims).toMatchObject({ htu: 'https://receiver.example:8443/in' })
    expect(JSON.stringify(claims)).not.toContain('pa55')
  })

  it.each(ALGORITHMS)('signs with an %s key set', async (alg) => {
    const set = await loadKeySet({ keys: [{ pem: pemOf(privateKeyFor(alg)) }] })
    const { 'x-signature': token } = await createSigner({ issuer: ISSUER, keys: set }).sign({
      body: 'x',
      url: URL_SENT,
    })
    expect(decodeProtectedHeader(token).alg).toBe(alg)
  })

  it.each<[string, Partial<SignerOptions>]>([
    ['no issuer', { issuer: '' }],
    ['keys not from loadKeySet', { keys: { ...keys } }],
    ['a zero expiresIn', { expiresIn: 0 }],
    ['a fractional expiresIn', { expiresIn: 1.5 }],
    ['an expiresIn above maxTokenLifetime', { expiresIn: 301 }],
  ])('throws a TypeError for %s', (_name, options) => {
    expect(() => createSigner({ issuer: ISSUER, keys, ...options })).toThrow(TypeError)
  })

  it.each<[string, Partial<SignWebhookRequest>]>([
    ['a relative url', { url: '/webhooks' }],
    ['a non-http url', { url: 'ftp://receiver.example/in' }],
    ['a parsed body', { body: { type: 'x' } as never }],
    ['a GET', { method: 'GET' as never }],
    ['an empty audience', { audience: '' }],
    ['a webhook id that would split the header', { webhookId: 'evt\r\nx-admin: 1' }],
  ])('rejects a request with %s with a TypeError', async (_name, request) => {
    const signer = createSigner({ issuer: ISSUER, keys })
    await expect(signer.sign({ body: '', url: URL_SENT, ...request })).rejects.toThrow(TypeError)
  })
})
