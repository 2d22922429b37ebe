import { createMemoryReplayStore, createVerifier } from '@hookseal/core'
import type { ReplayStore, WebhookRequest } from '@hookseal/core'
import { createRedisReplayStore } from '@hookseal/redis'
import { startTestRedis } from '@hookseal/test-support/redis-server'
import type { TestRedis } from '@hookseal/test-support/redis-server'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { generateTestKey, jwksOf, signToken, webhookClaims } from '@hookseal/test-support/test-keys'

/**
 * `pnpm bench:replay-store`: verifications per second through one verifier with the Redis replay
 * store (a real redis-server on loopback) and with the in-memory store, on the same pre-signed
 * ES256 tokens, one at a time and 16 in flight.
 */
const TOKENS = 2000
const ISSUER = 'https://sender.example'
const AUDIENCE = 'https://receiver.example/webhooks'
const BODY = '{"type":"invoice.paid"}'
const key = generateTestKey('ES256')

const [redis, jwks]: [TestRedis, JwksServer] = await Promise.all([
  startTestRedis(),
  startJwksServer(jwksOf(key)),
])
const tokens = await Promise.all(
  Array.from({ length: TOKENS }, () =>
    signToken({ key, claims: webhookClaims(ISSUER, AUDIENCE, BODY) }),
  ),
)
const requests: WebhookRequest[] = tokens.map((token) => ({
  method: 'POST',
  url: '/webhooks',
  headers: { 'x-signature': token },
  body: Buffer.from(BODY),
}))

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
  if (accepted !== TOKENS) throw new Error(`accepted ${accepted} of ${TOKENS}`)
  return Math.round(TOKENS / seconds)
}

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
await Promise.all([redis.stop(), jwks.close()])
