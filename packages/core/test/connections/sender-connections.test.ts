import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { startOidcServer } from '@hookseal/test-support/oidc-server'
import type { OidcServer } from '@hookseal/test-support/oidc-server'
import { rejectionOf } from '@hookseal/test-support/rejection'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { createConnections, createSender, DeliveryError } from '../../src/send/index.js'
import type {
  ConnectionEvent,
  Connections,
  DeadLetter,
  DeliveryEvent,
  SenderOptions,
} from '../../src/send/index.js'
import { connectionOptions, REDIRECT_URI } from '@hookseal/test-support/connection-options'
import { startReceiver } from '../deliver/receiver.js'
import type { Receiver } from '../deliver/receiver.js'
import { createTestSigning } from '../deliver/signing.js'
import type { TestSigning } from '../deliver/signing.js'

const BODY = '{"type":"shipment.tendered"}'

let server: OidcServer
let signing: TestSigning
let receiver: Receiver
let connections: Connections
let connectionEvents: ConnectionEvent[]
let deliveryEvents: DeliveryEvent[]
let deadLetters: DeadLetter[]
let errors: unknown[]

beforeAll(async () => {
  server = await startOidcServer({ redirectUris: [REDIRECT_URI] })
  signing = await createTestSigning()
})
afterAll(() => server.close())

beforeEach(async () => {
  receiver = await startReceiver()
  // The receiver stands in for the partner's API: it takes only access tokens the server issued.
  receiver.setFallback((request, res) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
    res.writeHead(token !== undefined && server.entries('AccessToken').has(token) ? 200 : 401)
    res.end()
  })
  connectionEvents = []
  deliveryEvents = []
  deadLetters = []
  errors = []
  connections = createConnections(
    connectionOptions(server, { onEvent: (event) => connectionEvents.push(event) }),
  )
  await connections.complete(await server.authorize(await connections.begin('acme'), 'acme-admin'))
})

afterEach(async () => {
  vi.useRealTimers()
  server.setTokenEndpointDown(false)
  await receiver.close()
})

function senderFor(options: Partial<SenderOptions> = {}) {
  return createSender({
    signer: signing.signer,
    onDeadLetter: (letter) => {
      deadLetters.push(letter)
    },
    onEvent: (event) => deliveryEvents.push(event),
    allowInsecureHttp: true,
    allowPrivateAddresses: ['127.0.0.1'],
    connections,
    backoff: 5,
    maxBackoff: 20,
    ...options,
  })
}

async function send(sender: ReturnType<typeof senderFor>, customer?: string) {
  try {
    return await sender.send({
      url: receiver.url,
      body: BODY,
      ...(customer === undefined ? {} : { connection: customer }),
    })
  } catch (error) {
    errors.push(error)
    throw error
  }
}

/** Every string reachable from `value`, non-enumerable properties (message, stack, cause) included. */
function stringsIn(value: unknown, seen = new Set<unknown>()): string[] {
  if (typeof value === 'string') return [value]
  if (typeof value !== 'object' || value === null || seen.has(value)) return []
  seen.add(value)
  return Object.getOwnPropertyNames(value).flatMap((name) =>
    stringsIn((value as Record<string, unknown>)[name], seen),
  )
}

function expireAccessTokens(): void {
  vi.setSystemTime(Date.now() + 3_600_000)
}

describe('deliveries authenticated by a customer connection', () => {
  it("sends the customer's access token as a bearer token", async () => {
    const result = await send(senderFor(), 'acme')
    expect(result.status).toBe(200)
    expect(receiver.requests).toHaveLength(1)
    expect(receiver.requests[0]?.headers['x-signature']).toBeDefined()
  })

  it('takes the connection from the destination auth', async () => {
    const sender = senderFor({ auth: { '127.0.0.1': { connection: 'acme' } } })
    expect((await send(sender)).status).toBe(200)
  })

  it('refreshes once and repeats the attempt on a 401', async () => {
    const before = server.tokenRequests
    receiver.reply({ status: 401 })
    const result = await send(senderFor(), 'acme')
    expect(result.attempts.map((attempt) => attempt.status)).toEqual([401, 200])
    expect(server.tokenRequests).toBe(before + 1)
    const [first, second] = receiver.requests
    expect(first?.headers.authorization).not.toBe(second?.headers.authorization)
  })

  it('dead-letters every delivery of a revoked connection, with a clear code', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    for (const id of server.entries('RefreshToken').keys())
      server.entries('RefreshToken').delete(id)
    expireAccessTokens()
    const sender = senderFor()
    const error = await rejectionOf(send(sender, 'acme'), DeliveryError)
    expect(error.code).toBe('ERR_DELIVERY_FAILED')
    expect(deadLetters).toHaveLength(1)
    expect(deadLetters[0]?.reason).toBe('permanent-failure')
    expect(deadLetters[0]?.error.code).toBe('ERR_CONNECTION_REVOKED')
    // The letter can be sent again as it is, once the customer has connected again.
    expect(deadLetters[0]?.delivery.connection).toBe('acme')
    expect(receiver.requests).toHaveLength(0)
    expect(connectionEvents.map((event) => event.type)).toContain('connection-revoked')

    await rejectionOf(send(sender, 'acme'), DeliveryError)
    expect(deadLetters.map((letter) => letter.error.code)).toEqual([
      'ERR_CONNECTION_REVOKED',
      'ERR_CONNECTION_REVOKED',
    ])
  })

  it('dead-letters a delivery for a customer that never connected', async () => {
    await rejectionOf(send(senderFor(), 'nobody'), DeliveryError)
    expect(deadLetters.map((letter) => letter.error.code)).toEqual(['ERR_CONNECTION_NOT_FOUND'])
  })

  it('waits for a token endpoint that is down and loses no delivery', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    expireAccessTokens()
    server.setTokenEndpointDown(true)
    const sender = senderFor({ maxAttempts: 50, maxElapsed: 600_000 })
    const sends = [1, 2, 3].map(() => send(sender, 'acme'))
    await waitUntil(
      () => deliveryEvents.filter((event) => event.type === 'delivery-retry').length >= 6,
    )
    expect(receiver.requests).toHaveLength(0)
    server.setTokenEndpointDown(false)
    const results = await Promise.all(sends)
    expect(results.map((result) => result.status)).toEqual([200, 200, 200])
    expect(receiver.requests).toHaveLength(3)
    expect(deadLetters).toHaveLength(0)
    const retried = deliveryEvents.filter((event) => event.type === 'delivery-retry')
    expect(retried.every((event) => event.error.code === 'ERR_TOKEN_UNAVAILABLE')).toBe(true)
  })

  it('never puts a token in an error, an event or a dead letter', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const sender = senderFor({ maxAttempts: 2 })
    receiver.reply({ status: 401 }, { status: 401 })
    await rejectionOf(send(sender, 'acme'), DeliveryError)
    receiver.reply({ status: 401 })
    await send(sender, 'acme')
    expireAccessTokens()
    server.setTokenEndpointDown(true)
    await rejectionOf(send(sender, 'acme'), DeliveryError)
    server.setTokenEndpointDown(false)
    for (const id of server.entries('RefreshToken').keys())
      server.entries('RefreshToken').delete(id)
    const revokedTokens = [...server.entries('AccessToken').keys()]
    await rejectionOf(send(sender, 'acme'), DeliveryError)

    const tokens = [
      ...revokedTokens,
      ...['AccessToken', 'RefreshToken', 'AuthorizationCode'].flatMap((model) => [
        ...server.entries(model).keys(),
      ]),
    ]
    expect(tokens.length).toBeGreaterThan(3)
    expect(deadLetters.length).toBeGreaterThanOrEqual(3)
    const emitted = stringsIn([connectionEvents, deliveryEvents, deadLetters, errors])
    expect(emitted.length).toBeGreaterThan(50)
    for (const token of tokens) {
      expect(emitted.filter((text) => text.includes(token))).toEqual([])
    }
  })

  it('refuses a connection without the connections option, at construction or at send', async () => {
    expect(() =>
      createSender({
        signer: signing.signer,
        onDeadLetter: () => {},
        auth: { '127.0.0.1': { connection: 'acme' } },
      }),
    ).toThrow('needs the connections option')
    const bare = senderFor({ connections: undefined })
    await expect(bare.send({ url: receiver.url, body: BODY, connection: 'acme' })).rejects.toThrow(
      TypeError,
    )
    expect(receiver.requests).toHaveLength(0)
  })
})
