import type { ServerResponse } from 'node:http'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSender, DeliveryError } from '../../src/send/index.js'
import type {
  ClientCredentialsOptions,
  DeliveryEvent,
  SenderOptions,
} from '../../src/send/index.js'
import { startReceiver } from './receiver.js'
import type { ReceivedRequest, Receiver } from './receiver.js'
import { createTestSigning } from './signing.js'
import type { TestSigning } from './signing.js'

const BODY = '{"type":"invoice.paid"}'

let signing: TestSigning
let receiver: Receiver
let tokenEndpoint: Receiver
let issued: number
let expiresIn: number | string | undefined
let events: DeliveryEvent[]

beforeAll(async () => {
  signing = await createTestSigning()
})

beforeEach(async () => {
  receiver = await startReceiver()
  tokenEndpoint = await startReceiver()
  issued = 0
  expiresIn = 3600
  events = []
  tokenEndpoint.setFallback((_request, res) => {
    issued++
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(
      JSON.stringify({
        access_token: `token-${issued}`,
        token_type: 'Bearer',
        expires_in: expiresIn,
      }),
    )
  })
})

afterEach(async () => {
  vi.useRealTimers()
  await receiver.close()
  await tokenEndpoint.close()
})

function grant(overrides: Partial<ClientCredentialsOptions> = {}): ClientCredentialsOptions {
  return {
    tokenUrl: tokenEndpoint.url,
    clientId: 'sender-app',
    clientSecret: 's3cr3t:with&symbols',
    scope: 'webhooks.write',
    ...overrides,
  }
}

function senderFor(options: Partial<SenderOptions> = {}) {
  return createSender({
    signer: signing.signer,
    onDeadLetter: () => {},
    onEvent: (event) => events.push(event),
    allowInsecureHttp: true,
    allowPrivateAddresses: ['127.0.0.1'],
    backoff: 5,
    maxBackoff: 5,
    ...options,
  })
}

function bearerOf(request: ReceivedRequest | undefined): string | undefined {
  return request?.headers.authorization
}

function form(request: ReceivedRequest | undefined): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(request?.body.toString('utf8') ?? ''))
}

/** Answers 401 to the listed tokens and 200 to any other. */
function refusing(...tokens: string[]) {
  return (request: ReceivedRequest, res: ServerResponse): void => {
    const refused = tokens.some((token) => bearerOf(request) === `Bearer ${token}`)
    res.writeHead(refused ? 401 : 200, { 'www-authenticate': 'Bearer error="invalid_token"' })
    res.end()
  }
}

describe('OAuth2 client credentials', () => {
  it('fetches a token with a form POST and client_secret_basic, and sends it as a bearer', async () => {
    const sender = senderFor({ auth: { '127.0.0.1': { clientCredentials: grant() } } })
    await sender.send({ url: receiver.url, body: BODY })

    const [tokenRequest] = tokenEndpoint.requests
    expect(tokenRequest?.method).toBe('POST')
    expect(tokenRequest?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded\b/)
    expect(form(tokenRequest)).toEqual({
      grant_type: 'client_credentials',
      scope: 'webhooks.write',
    })
    // RFC 6749 §2.3.1: both parts form-encoded first; oauth4webapi also escapes "-", as the form
    // encoding of RFC 6749 Appendix B allows.
    const basic = Buffer.from('sender%2Dapp:s3cr3t%3Awith%26symbols').toString('base64')
    expect(tokenRequest?.headers.authorization).toBe(`Basic ${basic}`)
    expect(bearerOf(receiver.requests[0])).toBe('Bearer token-1')
  })

  it('sends the client credentials in the form with client_secret_post, and an audience', async () => {
    const sender = senderFor({
      auth: {
        '127.0.0.1': {
          clientCredentials: grant({
            authMethod: 'client_secret_post',
            audience: 'https://api.customer.example',
            scope: undefined,
          }),
        },
      },
    })
    await sender.send({ url: receiver.url, body: BODY })
    const [tokenRequest] = tokenEndpoint.requests
    expect(tokenRequest?.headers.authorization).toBeUndefined()
    expect(form(tokenRequest)).toEqual({
      grant_type: 'client_credentials',
      audience: 'https://api.customer.example',
      client_id: 'sender-app',
      client_secret: 's3cr3t:with&symbols',
    })
  })

  it('fetches one token for 50 concurrent deliveries', async () => {
    const sender = senderFor({ auth: { '127.0.0.1': { clientCredentials: grant() } } })
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        sender.send({ url: receiver.url, body: `{"n":${index}}` }),
      ),
    )
    expect(results).toHaveLength(50)
    expect(tokenEndpoint.requests).toHaveLength(1)
    expect(new Set(receiver.requests.map(bearerOf))).toEqual(new Set(['Bearer token-1']))
  })

  it('reuses the token until 30 s before expires_in, then fetches a new one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const sender = senderFor({ auth: { '127.0.0.1': { clientCredentials: grant() } } })
    await sender.send({ url: receiver.url, body: BODY })
    vi.setSystemTime(Date.now() + (3600 - 31) * 1000)
    await sender.send({ url: receiver.url, body: BODY })
    expect(tokenEndpoint.requests).toHaveLength(1)
    vi.setSystemTime(Date.now() + 2000)
    await sender.send({ url: receiver.url, body: BODY })
    expect(tokenEndpoint.requests).toHaveLength(2)
    expect(receiver.requests.map(bearerOf)).toEqual([
      'Bearer token-1',
      'Bearer token-1',
      'Bearer token-2',
    ])
  })

  it('refreshes a short-lived token at half its lifetime', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    expiresIn = '20'
    const sender = senderFor({ auth: { '127.0.0.1': { clientCredentials: grant() } } })
    await sender.send({ url: receiver.url, body: BODY })
    vi.setSystemTime(Date.now() + 9000)
    await sender.send({ url: receiver.url, body: BODY })
    expect(tokenEndpoint.requests).toHaveLength(1)
    vi.setSystemTime(Date.now() + 1500)
    await sender.send({ url: receiver.url, body: BODY })
    expect(tokenEndpoint.requests).toHaveLength(2)
  })

  it('on a 401, fetches a new token once and repeats the attempt at once', async () => {
    receiver.setFallback(refusing('token-1'))
    const sender = senderFor({ auth: { '127.0.0.1': { clientCredentials: grant() } } })
    const result = await sender.send({ url: receiver.url, body: BODY })

    expect(tokenEndpoint.requests).toHaveLength(2)
    expect(receiver.requests.map(bearerOf)).toEqual(['Bearer token-1', 'Bearer token-2'])
    expect(result.attempts.map((attempt) => attempt.status)).toEqual([401, 200])
    expect(events.filter((event) => event.type === 'delivery-retry')).toEqual([
      expect.objectContaining({ attempt: 2, delayMs: 0 }),
    ])
    // Both attempts carry the same event id and their own token.
    const [first, second] = receiver.requests
    expect(first?.headers['webhook-id']).toBe(second?.headers['webhook-id'])
    expect(first?.headers['x-signature']).not.toBe(second?.headers['x-signature'])
  })

  it('gives up after one refresh when the new token is refused too', async () => {
    receiver.setFallback(refusing('token-1', 'token-2', 'token-3'))
    const sender = senderFor({
      maxAttempts: 5,
      auth: { '127.0.0.1': { clientCredentials: grant() } },
    })
    const error = await sender.send({ url: receiver.url, body: BODY }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(DeliveryError)
    expect((error as DeliveryError).deadLetter?.reason).toBe('permanent-failure')
    expect(tokenEndpoint.requests).toHaveLength(2)
    expect(receiver.requests).toHaveLength(2)
  })

  it('shares the refresh among deliveries refused together', async () => {
    receiver.setFallback(refusing('token-1'))
    const sender = senderFor({ auth: { '127.0.0.1': { clientCredentials: grant() } } })
    await Promise.all(
      Array.from({ length: 10 }, () => sender.send({ url: receiver.url, body: BODY })),
    )
    expect(tokenEndpoint.requests).toHaveLength(2)
    const bearers = receiver.requests.map(bearerOf)
    expect(bearers.filter((bearer) => bearer === 'Bearer token-1')).toHaveLength(10)
    expect(bearers.filter((bearer) => bearer === 'Bearer token-2')).toHaveLength(10)
  })

  it('retries a delivery while the token endpoint is unavailable, with a fresh fetch each time', async () => {
    let calls = 0
    tokenEndpoint.setFallback((_request, res) => {
      calls++
      if (calls < 3) {
        res.writeHead(503)
        res.end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ access_token: 'late-token', token_type: 'bearer', expires_in: 60 }))
    })
    const sender = senderFor({ auth: { '127.0.0.1': { clientCredentials: grant() } } })
    const result = await sender.send({ url: receiver.url, body: BODY })
    expect(result.attempts.map((attempt) => attempt.error?.code ?? attempt.status)).toEqual([
      'ERR_TOKEN_UNAVAILABLE',
      'ERR_TOKEN_UNAVAILABLE',
      200,
    ])
    expect(receiver.requests.map(bearerOf)).toEqual(['Bearer late-token'])
  })

  it.each([
    [
      'a refusal of the client',
      { status: 401, body: '{"error":"invalid_client"}' },
      'the token endpoint answered 401 (invalid_client), not 200',
    ],
    [
      'a token that is not a bearer token',
      { status: 200, body: '{"access_token":"t","token_type":"mac","expires_in":60}' },
      'the token endpoint sent a token that is not a bearer token',
    ],
    [
      'a response without a token',
      { status: 200, body: '{"token_type":"bearer"}' },
      'the token endpoint sent no usable access_token and expires_in',
    ],
    [
      'a response that is not JSON',
      { status: 200, body: '<html>login</html>' },
      'the token endpoint sent no usable access_token and expires_in',
    ],
  ])('dead-letters at once on %s', async (_name, reply, message) => {
    tokenEndpoint.setFallback({ ...reply, headers: { 'content-type': 'application/json' } })
    const sender = senderFor({ auth: { '127.0.0.1': { clientCredentials: grant() } } })
    const error = (await sender
      .send({ url: receiver.url, body: BODY })
      .catch((err: unknown) => err)) as DeliveryError
    expect(error.deadLetter?.reason).toBe('permanent-failure')
    expect(error.attempts[0]?.error).toEqual({ code: 'ERR_TOKEN_UNAVAILABLE', message })
    expect(receiver.requests).toHaveLength(0)
    // The secret never reaches the letter or the error.
    expect(JSON.stringify(error.deadLetter)).not.toContain('s3cr3t')
  })
})

describe('static headers', () => {
  it('are sent to their destination only', async () => {
    const other = await startReceiver()
    try {
      const sender = senderFor({
        auth: {
          [new URL(receiver.url).origin]: { headers: { 'Ocp-Apim-Subscription-Key': 'key-1' } },
        },
      })
      await sender.send({ url: receiver.url, body: BODY })
      await sender.send({ url: other.url, body: BODY })
      expect(receiver.requests[0]?.headers['ocp-apim-subscription-key']).toBe('key-1')
      expect(other.requests[0]?.headers['ocp-apim-subscription-key']).toBeUndefined()
    } finally {
      await other.close()
    }
  })

  it('go along with a bearer token, and an origin entry wins over a host entry', async () => {
    const sender = senderFor({
      auth: {
        '127.0.0.1': { headers: { 'x-api-key': 'by-host' } },
        [new URL(receiver.url).origin]: {
          headers: { 'x-api-key': 'by-origin' },
          clientCredentials: grant(),
        },
      },
    })
    await sender.send({
      url: receiver.url,
      body: BODY,
      headers: { 'x-api-key': 'from-caller', authorization: 'Basic caller' },
    })
    const [request] = receiver.requests
    expect(request?.headers['x-api-key']).toBe('by-origin')
    expect(request?.headers.authorization).toBe('Bearer token-1')
  })

  it('are never copied into a dead letter', async () => {
    receiver.setFallback({ status: 400 })
    const sender = senderFor({ auth: { '127.0.0.1': { headers: { 'x-api-key': 'secret-key' } } } })
    const error = (await sender
      .send({ url: receiver.url, body: BODY })
      .catch((err: unknown) => err)) as DeliveryError
    expect(error.deadLetter?.delivery.headers).toEqual({})
    expect(JSON.stringify(error.deadLetter)).not.toContain('secret-key')
  })
})
