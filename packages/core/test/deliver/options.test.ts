import { generateKeyPairSync } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { createSender } from '../../src/send/index.js'
import type { Delivery, Sender, SenderOptions } from '../../src/send/index.js'
import { createTestSigning } from './signing.js'
import type { TestSigning } from './signing.js'

let signing: TestSigning

beforeAll(async () => {
  signing = await createTestSigning()
})

function base(): SenderOptions {
  return { signer: signing.signer, onDeadLetter: () => {} }
}

const grant = {
  tokenUrl: 'https://login.partner.example/oauth2/token',
  clientId: 'id',
  clientSecret: 'secret',
}

describe('createSender', () => {
  it('accepts the minimal options', () => {
    expect(typeof createSender(base()).send).toBe('function')
  })

  it.each<[string, Partial<Record<keyof SenderOptions, unknown>>]>([
    ['no signer', { signer: undefined }],
    ['a signer without sign', { signer: { issuer: 'x' } }],
    ['no onDeadLetter', { onDeadLetter: undefined }],
    ['an onDeadLetter that is not a function', { onDeadLetter: 'log' }],
    ['an onEvent that is not a function', { onEvent: 'log' }],
    ['a resolve that is not a function', { resolve: {} }],
    ['a zero timeout', { timeout: 0 }],
    ['a timeout setTimeout cannot hold', { timeout: 2 ** 31 }],
    ['a fractional maxAttempts', { maxAttempts: 1.5 }],
    ['zero maxAttempts', { maxAttempts: 0 }],
    ['a NaN backoff', { backoff: NaN }],
    ['a backoff above maxBackoff', { backoff: 100, maxBackoff: 10 }],
    ['a negative maxRetryAfter', { maxRetryAfter: -1 }],
    ['an infinite maxElapsed', { maxElapsed: Infinity }],
    ['a fractional maxResponseBytes', { maxResponseBytes: 1.5 }],
    ['a string number', { timeout: '1000' }],
    ['a ca that is not PEM or a Buffer', { ca: [42] }],
    ['a non-boolean allowInsecureHttp', { allowInsecureHttp: 'yes' }],
    ['allowedHosts that is not an array', { allowedHosts: 'partner.example' }],
    ['an allowedHosts entry with a port', { allowedHosts: ['partner.example:8443'] }],
    ['a bad allowPrivateAddresses entry', { allowPrivateAddresses: ['10.0.0.0/40'] }],
    ['auth that is not an object', { auth: [] }],
    ['an auth key with a path', { auth: { 'https://partner.example/hooks': { headers: {} } } }],
    ['an auth key with a port but no scheme', { auth: { 'partner.example:8443': {} } }],
    ['an auth entry that is not an object', { auth: { 'partner.example': 'key' } }],
    ['the same destination twice', { auth: { 'A.example': {}, 'a.example': {} } }],
    ['a malformed header name', { auth: { 'partner.example': { headers: { 'bad name': 'x' } } } }],
    ['a header value with a newline', { auth: { 'partner.example': { headers: { k: 'a\nb' } } } }],
    [
      'a header the sender sets',
      { auth: { 'partner.example': { headers: { 'X-Signature': 'x' } } } },
    ],
    [
      'an authorization header beside a grant',
      {
        auth: { 'partner.example': { headers: { authorization: 'x' }, clientCredentials: grant } },
      },
    ],
    [
      'an http token endpoint',
      {
        auth: {
          'partner.example': {
            clientCredentials: { ...grant, tokenUrl: 'http://login.example/t' },
          },
        },
      },
    ],
    [
      'a token endpoint on a private address',
      {
        auth: {
          'partner.example': { clientCredentials: { ...grant, tokenUrl: 'https://10.0.0.1/t' } },
        },
      },
    ],
    [
      'a grant without a client secret',
      { auth: { 'partner.example': { clientCredentials: { ...grant, clientSecret: '' } } } },
    ],
    [
      'an unknown authMethod',
      {
        auth: {
          'partner.example': { clientCredentials: { ...grant, authMethod: 'client_secret_jwt' } },
        },
      },
    ],
    [
      'private_key_jwt without a private key',
      {
        auth: {
          'partner.example': {
            clientCredentials: { ...grant, clientSecret: undefined, authMethod: 'private_key_jwt' },
          },
        },
      },
    ],
    [
      'private_key_jwt with a public key',
      {
        auth: {
          'partner.example': {
            clientCredentials: {
              ...grant,
              clientSecret: undefined,
              authMethod: 'private_key_jwt',
              privateKey: generateKeyPairSync('ed25519').publicKey,
            },
          },
        },
      },
    ],
    [
      'private_key_jwt with a client secret too',
      {
        auth: {
          'partner.example': {
            clientCredentials: {
              ...grant,
              authMethod: 'private_key_jwt',
              privateKey: generateKeyPairSync('ed25519').privateKey,
            },
          },
        },
      },
    ],
  ])('throws a TypeError for %s', (_name, overrides) => {
    expect(() => createSender({ ...base(), ...overrides } as SenderOptions)).toThrow(TypeError)
  })

  it('throws a TypeError without options', () => {
    expect(() => createSender(undefined as unknown as SenderOptions)).toThrow(TypeError)
  })

  it('accepts a loopback http token endpoint with allowInsecureHttp and an allow-listed address', () => {
    const tokenUrl = 'http://127.0.0.1:8080/token'
    const options = {
      ...base(),
      allowInsecureHttp: true,
      auth: { 'partner.example': { clientCredentials: { ...grant, tokenUrl } } },
    }
    expect(() => createSender(options)).toThrow(TypeError)
    expect(() => createSender({ ...options, allowPrivateAddresses: ['127.0.0.1'] })).not.toThrow()
  })

  it('does not put a header value in its message', () => {
    const options = { ...base(), auth: { 'partner.example': { headers: { key: 'sec\nret' } } } }
    expect(() => createSender(options)).toThrow(/^auth\["partner.example"\].headers: key holds/)
  })
})

describe('send', () => {
  let sender: Sender

  beforeAll(() => {
    // Every case must fail before any lookup; one that did not would fail here, not go out.
    const resolve = () => Promise.reject(new Error('no lookup expected'))
    sender = createSender({ ...base(), resolve, maxAttempts: 1 })
  })

  it.each<[string, Partial<Record<keyof Delivery, unknown>>]>([
    ['a url that is neither a string nor a URL', { url: 42 }],
    ['a GET', { method: 'GET' }],
    ['a body that is an object', { body: { type: 'x' } }],
    ['an empty audience', { audience: '' }],
    ['a webhookId with a space', { webhookId: 'evt 1' }],
    ['an empty webhookId', { webhookId: '' }],
    ['a webhookId of 257 characters', { webhookId: 'x'.repeat(257) }],
    ['a header the sender sets', { headers: { 'Webhook-Id': 'x' } }],
    ['a content-length header', { headers: { 'content-length': '1' } }],
    ['a header value that is not a string', { headers: { 'x-n': 1 } }],
  ])('rejects with a TypeError for %s, before anything is sent', async (_name, overrides) => {
    const delivery = { url: 'https://partner.example/hooks', body: '{}', ...overrides } as Delivery
    await expect(sender.send(delivery)).rejects.toThrow(TypeError)
  })
})
