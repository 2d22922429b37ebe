import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryReplayStore, createVerifier } from '@hookseal/core'
import type { ReplayStore, WebhookRequest } from '@hookseal/core'
import { createRedisReplayStore } from '../src/index.js'
import { startTestRedis } from './helpers/redis-server.js'
import type { TestRedis } from './helpers/redis-server.js'
import { startJwksServer } from '../../core/test/helpers/jwks-server.js'
import type { JwksServer } from '../../core/test/helpers/jwks-server.js'
import {
  generateTestKey,
  jwksOf,
  signToken,
  webhookClaims,
} from '../../core/test/helpers/test-keys.js'

// Measures, does not assert speed: verifications per second through one verifier with the Redis
// store on loopback and with the in-memory store, on the same pre-signed ES256 tokens.
const TOKENS = 2000
const ISSUER = 'https://sender.example'
const AUDIENCE = 'https://receiver.example/webhooks'
const BODY = '{"type":"invoice.paid"}'
const key = generateTestKey('ES256')

let redis: TestRedis
let jwks: JwksServer
let requests: WebhookRequest[]

beforeAll(async () => {
  ;[redis, jwks] = await Promise.all([startTestRedis(), startJwksServer(jwksOf(key))])
  const tokens = await Promise.all(
    Array.from({ length: TOKENS }, () =>
      signToken({ key, claims: webhookClaims(ISSUER, AUDIENCE, BODY) }),
    ),
  )
  requests = tokens.map((token) => ({
    method: 'POST',
    url: '/webhooks',
    headers: { 'x-signature': token },
    body: Buffer.from(BODY),
  }))
}, 60_000)

afterAll(() => Promise.all([redis.stop(), jwks.close()]))

async function measure(replayStore: ReplayStore, inFlight: number): Promise<number> {
  const verifier = createVerifier({
    issuers: [{ issuer: ISSUER, jwksUri: jwks.url, audience: AUDIENCE, algorithms: ['ES256'] }],
    allowInsecureHttp: true,
    replayStore,
  })
  // Fetch the JWKS once (with a token of its own) before the clock starts.
  await verifier.verify({
    ...requests[0]!,
    headers: {
      'x-signature': await signToken({ key, claims: webhookClaims(ISSUER, AUDIENCE, BODY) }),
    },
  })
  let next = 0
  let accepted = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < requests.length) {
        await verifier.verify(requests[next++]!)
        accepted++
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  expect(accepted).toBe(TOKENS)
  return Math.round(TOKENS / seconds)
}

describe('replay store throughput', () => {
  it('verifies 2000 ES256 tokens with each store, sequentially and 16 in flight', async () => {
    const rows: Array<{ store: string; inFlight: number; perSecond: number }> = []
    for (const inFlight of [1, 16]) {
      // Run each pair twice and keep the second, so JIT warm-up does not favour one store.
      for (const round of [1, 2]) {
        const memory = await measure(createMemoryReplayStore(), inFlight)
        const onRedis = await measure(
          createRedisReplayStore({ client: redis.client(), prefix: `bench:${inFlight}:${round}:` }),
          inFlight,
        )
        if (round === 2) {
          rows.push({ store: 'memory', inFlight, perSecond: memory })
          rows.push({ store: 'redis', inFlight, perSecond: onRedis })
        }
      }
    }
    console.log(`verifications per second (${TOKENS} ES256 tokens, redis-server on loopback)`)
    console.table(rows)
  }, 120_000)
})
