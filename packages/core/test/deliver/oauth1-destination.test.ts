import { createHmac } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import OAuth from 'oauth-1.0a'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createVerifier } from '../../src/index.js'
import type { OAuth1Consumer, VerifiedWebhook } from '../../src/index.js'
import { parseOAuthAuthorization } from '../../src/schemes/oauth1/parse-authorization-header.js'
import { createSender, DeliveryError } from '../../src/send/index.js'
import type { DeadLetter, DeliveryEvent, OAuth1AuthOptions } from '../../src/send/index.js'
import { startReceiver } from './receiver.js'
import type { ReceivedRequest, Receiver } from './receiver.js'
import { createTestSigning } from './signing.js'
import type { TestSigning } from './signing.js'

const CONSUMER = { key: 'mx-iso-agent', secret: 'consumer-secret-Kd93&x' }
const TOKEN = { key: 'access-token-7', secret: 'token-secret-Lm42=y' }

let signing: TestSigning
let receiver: Receiver
let events: DeliveryEvent[]
let letters: DeadLetter[]

beforeAll(async () => {
  signing = await createTestSigning()
})

beforeEach(async () => {
  receiver = await startReceiver()
  events = []
  letters = []
})

afterEach(async () => {
  await receiver.close()
})

function senderWith(oauth1: OAuth1AuthOptions, maxAttempts = 6) {
  return createSender({
    signer: signing.signer,
    onDeadLetter: (letter) => void letters.push(letter),
    onEvent: (event) => events.push(event),
    allowInsecureHttp: true,
    allowPrivateAddresses: ['127.0.0.1'],
    backoff: 5,
    maxBackoff: 5,
    maxAttempts,
    auth: { '127.0.0.1': { oauth1 } },
  })
}

function absolute(request: ReceivedRequest): string {
  return `http://127.0.0.1:${receiver.port}${request.url}`
}

function oauthParams(request: ReceivedRequest): Record<string, string> {
  return Object.fromEntries(parseOAuthAuthorization(request.headers.authorization ?? ''))
}

/** The signature the independent oauth-1.0a package computes for what the receiver got. */
function librarySignature(request: ReceivedRequest, method: 'HMAC-SHA1' | 'HMAC-SHA256'): string {
  const oauth = new OAuth({
    consumer: CONSUMER,
    signature_method: method,
    hash_function: (base, key) =>
      createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', key)
        .update(base)
        .digest('base64'),
  })
  const oauthData = oauthParams(request)
  delete oauthData.oauth_signature
  const form =
    request.headers['content-type'] === 'application/x-www-form-urlencoded'
      ? Object.fromEntries(new URLSearchParams(request.body.toString('utf8')))
      : {}
  return oauth.getSignature(
    { url: absolute(request), method: request.method, data: form },
    oauthData.oauth_token === undefined ? '' : TOKEN.secret,
    oauthData as unknown as OAuth.Data,
  )
}

function consumers(key: string, token: string | undefined): OAuth1Consumer | undefined {
  if (key !== CONSUMER.key) return undefined
  if (token === undefined) return { secret: CONSUMER.secret }
  return token === TOKEN.key ? { secret: CONSUMER.secret, tokenSecret: TOKEN.secret } : undefined
}

/** hookseal's own inbound verifier, over what the receiver got. */
function verifyInbound(request: ReceivedRequest): Promise<VerifiedWebhook> {
  const verifier = createVerifier({ senders: [{ scheme: 'oauth1', id: 'mx', consumers }] })
  return verifier.verify({
    method: request.method,
    url: absolute(request),
    headers: request.headers as Record<string, string>,
    body: request.body,
  })
}

describe('OAuth 1.0a signing per destination', () => {
  it.each(['HMAC-SHA1', 'HMAC-SHA256'] as const)(
    'signs a 2-legged JSON POST with %s and its query, verified by oauth-1.0a and by hookseal',
    async (signatureMethod) => {
      const sender = senderWith({
        consumerKey: CONSUMER.key,
        consumerSecret: CONSUMER.secret,
        signatureMethod,
      })
      await sender.send({ url: `${receiver.url}?merchant=m%2042&page=2`, body: '{"a":1}' })
      const [request] = receiver.requests
      expect(request).toBeDefined()
      const params = oauthParams(request!)
      expect(params).toMatchObject({
        oauth_consumer_key: CONSUMER.key,
        oauth_signature_method: signatureMethod,
        oauth_version: '1.0',
      })
      expect(params).not.toHaveProperty('oauth_token')
      expect(params.oauth_signature).toBe(librarySignature(request!, signatureMethod))
      const webhook = await verifyInbound(request!)
      expect(webhook).toMatchObject({ scheme: 'oauth1', alg: signatureMethod })
    },
  )

  it('signs a 3-legged form PUT with its form parameters and a callback', async () => {
    const sender = senderWith({
      consumerKey: CONSUMER.key,
      consumerSecret: CONSUMER.secret,
      token: TOKEN.key,
      tokenSecret: TOKEN.secret,
      callback: 'https://sender.example/oauth/callback',
    })
    await sender.send({
      url: `${receiver.url}?v=1`,
      method: 'PUT',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'amount=12.50&memo=caf%C3%A9+%26+cr%C3%A8me',
    })
    const [request] = receiver.requests
    const params = oauthParams(request!)
    expect(params).toMatchObject({
      oauth_token: TOKEN.key,
      oauth_callback: 'https://sender.example/oauth/callback',
    })
    expect(params.oauth_signature).toBe(librarySignature(request!, 'HMAC-SHA1'))
    const webhook = await verifyInbound(request!)
    expect(webhook).toMatchObject({
      bodyDigestVerified: true,
      oauth1: { consumerKey: CONSUMER.key, token: TOKEN.key },
    })
  })

  it('signs every retry afresh: a new nonce and signature, each verifying', async () => {
    receiver.reply({ status: 503 }, { status: 500 })
    const sender = senderWith({ consumerKey: CONSUMER.key, consumerSecret: CONSUMER.secret })
    const result = await sender.send({ url: receiver.url, body: '{}' })
    expect(result.attempts.map((attempt) => attempt.status)).toEqual([503, 500, 200])
    const nonces = receiver.requests.map((request) => oauthParams(request).oauth_nonce)
    expect(new Set(nonces).size).toBe(3)
    const signatures = receiver.requests.map((request) => oauthParams(request).oauth_signature)
    expect(new Set(signatures).size).toBe(3)
    // Each verifies on its own, the replay store seeing three different nonces.
    const verifier = createVerifier({ senders: [{ scheme: 'oauth1', id: 'mx', consumers }] })
    for (const request of receiver.requests) {
      await verifier.verify({
        method: request.method,
        url: absolute(request),
        headers: request.headers as Record<string, string>,
        body: request.body,
      })
    }
  })

  it('keeps the consumer and token secrets out of errors, events and dead letters', async () => {
    receiver.setFallback((_request, res: ServerResponse) => {
      res.writeHead(401, { 'content-type': 'text/plain' })
      res.end('bad signature')
    })
    const sender = senderWith({
      consumerKey: CONSUMER.key,
      consumerSecret: CONSUMER.secret,
      token: TOKEN.key,
      tokenSecret: TOKEN.secret,
    })
    const error = await sender.send({ url: receiver.url, body: '{}' }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(DeliveryError)
    expect(letters).toHaveLength(1)
    const emitted = JSON.stringify([letters, events, (error as Error).message])
    expect(emitted).not.toContain(CONSUMER.secret)
    expect(emitted).not.toContain(TOKEN.secret)
    expect(emitted).not.toContain('oauth_signature')
  })

  it.each<[string, Partial<OAuth1AuthOptions>]>([
    ['no consumer secret', { consumerSecret: '' }],
    ['a token without its secret', { token: 'a' }],
    ['PLAINTEXT', { signatureMethod: 'PLAINTEXT' as 'HMAC-SHA1' }],
  ])('refuses %s at construction', (_name, overrides) => {
    expect(() =>
      senderWith({ consumerKey: CONSUMER.key, consumerSecret: CONSUMER.secret, ...overrides }),
    ).toThrow(TypeError)
  })

  it('refuses oauth1 beside clientCredentials, and a static authorization header', () => {
    const base = { consumerKey: CONSUMER.key, consumerSecret: CONSUMER.secret }
    const options = {
      signer: signing.signer,
      onDeadLetter: () => {},
    }
    expect(() =>
      createSender({
        ...options,
        auth: {
          'partner.example': {
            oauth1: base,
            clientCredentials: {
              tokenUrl: 'https://auth.partner.example/token',
              clientId: 'c',
              clientSecret: 's',
            },
          },
        },
      }),
    ).toThrow(/both would set the Authorization header/)
    expect(() =>
      createSender({
        ...options,
        auth: { 'partner.example': { oauth1: base, headers: { Authorization: 'Basic x' } } },
      }),
    ).toThrow(TypeError)
  })
})
