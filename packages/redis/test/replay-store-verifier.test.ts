import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { Redis } from 'ioredis'
import { createVerifier, RetryableWebhookError, WebhookError } from '@hookseal/core'
import type { ReplayStore, Verifier, VerifierOptions, WebhookRequest } from '@hookseal/core'
import { createRedisReplayStore } from '../src/index.js'
import type { RedisReplayStoreEvent } from '../src/index.js'
import { startTestRedis } from '@hookseal/test-support/redis-server'
import type { TestRedis } from '@hookseal/test-support/redis-server'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { settlesAfter, settlesAtOnce, useFakeClock } from '@hookseal/test-support/fake-clock'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { generateTestKey, jwksOf, signToken, webhookClaims } from '@hookseal/test-support/test-keys'

const ISSUER = 'https://sender.example'
const AUDIENCE = 'https://receiver.example/webhooks'
const BODY = '{"type":"invoice.paid"}'
const key = generateTestKey('ES256')

let redis: TestRedis
let jwks: JwksServer

beforeAll(async () => {
  ;[redis, jwks] = await Promise.all([startTestRedis(), startJwksServer(jwksOf(key))])
})

afterAll(() => Promise.all([redis.stop(), jwks.close()]))

function verifierWith(replayStore: ReplayStore, options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    issuers: [{ issuer: ISSUER, jwksUri: jwks.url, audience: AUDIENCE, algorithms: ['ES256'] }],
    allowInsecureHttp: true,
    replayStore,
    ...options,
  })
}

function request(token: string): WebhookRequest {
  return {
    method: 'POST',
    url: '/webhooks',
    headers: { 'x-signature': token },
    body: Buffer.from(BODY),
  }
}

const newToken = (): Promise<string> =>
  signToken({ key, claims: webhookClaims(ISSUER, AUDIENCE, BODY) })

describe('two verifiers sharing Redis', () => {
  it('accept each of 200 tokens exactly once when both receive it at the same moment', async () => {
    // Each instance has its own connection and its own store object, as separate processes would.
    const instances = [redis.client(), redis.client()].map((client) =>
      verifierWith(createRedisReplayStore({ client, prefix: 'pair:' })),
    )
    const tokens = await Promise.all(Array.from({ length: 202 }, newToken))
    // Warm both JWKS caches so the rounds race on the replay store, not on the key fetch.
    await Promise.all(instances.map((v, i) => v.verify(request(tokens[i]!))))

    const rounds = await Promise.all(
      tokens.slice(2).map(async (token, round) => {
        const order = round % 2 === 0 ? instances : [...instances].reverse()
        return Promise.allSettled(order.map((verifier) => verifier.verify(request(token))))
      }),
    )
    for (const outcomes of rounds) {
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
      const refused = outcomes.find((o) => o.status === 'rejected')
      expect(refused?.reason).toBeInstanceOf(WebhookError)
      expect(refused?.reason).toMatchObject({ code: 'ERR_REPLAY' })
    }
    expect(rounds).toHaveLength(200)
    // One key per token, each expiring with it, and the sentinel.
    expect(await redis.client().keys('pair:*')).toHaveLength(203)
  })

  it('refuses a replay at one instance of a webhook the other accepted earlier', async () => {
    const [first, second] = [redis.client(), redis.client()].map((client) =>
      verifierWith(createRedisReplayStore({ client, prefix: 'later:' })),
    )
    const token = await newToken()
    await expect(first!.verify(request(token))).resolves.toMatchObject({ issuer: ISSUER })
    await expect(second!.verify(request(token))).rejects.toMatchObject({ code: 'ERR_REPLAY' })
  })
})

describe('Redis down', () => {
  // A server of its own, killed in these tests, with clients set up as the README recommends.
  let doomed: TestRedis
  let failFast: Redis
  let queueing: Redis

  beforeAll(async () => {
    doomed = await startTestRedis()
    failFast = new Redis(doomed.port, '127.0.0.1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    })
    // The ioredis defaults plus endless retries: commands wait in the offline queue forever.
    queueing = new Redis(doomed.port, '127.0.0.1', {
      maxRetriesPerRequest: null,
      lazyConnect: true,
    })
    failFast.on('error', () => {})
    queueing.on('error', () => {})
    await Promise.all([failFast.connect(), queueing.connect()])
    await doomed.kill()
  })

  afterEach(() => vi.useRealTimers())

  /**
   * Verifies a fresh token on the fake clock, which stands still until the store is asked: the
   * JWKS fetch before it is real loopback I/O. Resolves with the outcome and the fake time it took.
   */
  async function verifyOnFakeClock(store: ReplayStore, ms: number): Promise<unknown> {
    let asked = false
    const verifier = verifierWith({
      remember(id, expiresAtMs) {
        asked = true
        return store.remember(id, expiresAtMs)
      },
    })
    const token = await newToken()
    useFakeClock(Date.now())
    const verifying = verifier.verify(request(token))
    // Handled below; a refusal may come while the store is still being awaited.
    verifying.catch(() => {})
    await waitUntil(() => asked, 'the replay store to be asked')
    return ms === 0
      ? settlesAtOnce(verifying, 'the verification')
      : settlesAfter(verifying, ms, 'the verification')
  }

  afterAll(async () => {
    failFast.disconnect()
    queueing.disconnect()
    await doomed.stop()
  })

  // The fail-fast client is refused at once; the queueing one waits out the store's timeout.
  it.each([
    ['a fail-fast client', () => failFast, 0],
    ['a client that queues commands while offline', () => queueing, 300],
  ])(
    'answers 503 ERR_REPLAY_STORE_UNAVAILABLE within the timeout with %s',
    async (_, client, ms) => {
      const store = createRedisReplayStore({ client: client(), timeout: 300 })
      const error = await verifyOnFakeClock(store, ms)
      expect(error).toBeInstanceOf(RetryableWebhookError)
      expect(error).toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE', status: 503 })
      expect((error as RetryableWebhookError).retryAfter).toBeGreaterThan(0)
    },
  )

  it('with failOpen accepts the webhook and reports the outage', async () => {
    const events: RedisReplayStoreEvent[] = []
    const store = createRedisReplayStore({
      client: queueing,
      timeout: 200,
      failOpen: true,
      onEvent: (event) => events.push(event),
    })
    expect(await verifyOnFakeClock(store, 200)).toMatchObject({ issuer: ISSUER })
    vi.useRealTimers()
    expect(events).toMatchObject([
      { type: 'replay-store-unavailable', reason: 'timeout', accepted: true },
    ])

    const fast = verifierWith(
      createRedisReplayStore({
        client: failFast,
        failOpen: true,
        onEvent: (event) => events.push(event),
      }),
    )
    await expect(fast.verify(request(await newToken()))).resolves.toBeDefined()
    expect(events[1]).toMatchObject({ type: 'replay-store-unavailable', accepted: true })
  })
})
