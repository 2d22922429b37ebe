import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { randomBytes } from 'node:crypto'
import { createConnections } from '@hookseal/core/send'
import type { ConnectionEvent, Connections } from '@hookseal/core/send'
import { connectionOptions, REDIRECT_URI } from '@hookseal/test-support/connection-options'
import { startOidcServer } from '@hookseal/test-support/oidc-server'
import type { OidcServer } from '@hookseal/test-support/oidc-server'
import { startTestRedis } from '@hookseal/test-support/redis-server'
import { createRedisConnectionStore } from '../src/index.js'

const redis = await startTestRedis()
let server: OidcServer
const key = { id: 'k1', key: randomBytes(32) }

beforeAll(async () => {
  server = await startOidcServer({ redirectUris: [REDIRECT_URI] })
})
afterAll(async () => {
  await server.close()
  await redis.stop()
})
afterEach(() => vi.useRealTimers())

/** A sender process of its own: its own Redis connection, its own connections object. */
function senderProcess(prefix: string, events: ConnectionEvent[] = []): Connections {
  return createConnections(
    connectionOptions(server, {
      encryptionKeys: [key],
      store: createRedisConnectionStore({ client: redis.client(), prefix }),
      onEvent: (event) => events.push(event),
    }),
  )
}

describe('createRedisConnectionStore', () => {
  it('completes in one process what another began, once', async () => {
    const a = senderProcess('handover:')
    const b = senderProcess('handover:')
    const callback = await server.authorize(await a.begin('acme'), 'handover-admin')
    expect((await b.complete(callback)).customer).toBe('acme')
    await expect(a.complete(callback)).rejects.toMatchObject({
      code: 'ERR_CONNECTION_STATE_INVALID',
    })
    expect(await a.accessToken('acme')).toBe(await b.accessToken('acme'))
  })

  it('keeps only sealed tokens in Redis', async () => {
    const a = senderProcess('sealed:')
    await a.complete(await server.authorize(await a.begin('acme'), 'sealed-admin'))
    const token = await a.accessToken('acme')
    const [refresh] = server.unspentRefreshTokens('sealed-admin')
    const raw = await redis.client().get('sealed:connection:acme')
    expect(raw).toMatch(/"accessToken":"v1\.k1\./)
    expect(raw).not.toContain(token)
    expect(raw).not.toContain(refresh)
  })

  it('lets one of several racing processes spend a rotated refresh token', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const eventsA: ConnectionEvent[] = []
    const eventsB: ConnectionEvent[] = []
    const a = senderProcess('race:', eventsA)
    const b = senderProcess('race:', eventsB)
    await a.complete(await server.authorize(await a.begin('acme'), 'race-admin'))
    const [original] = server.unspentRefreshTokens('race-admin')
    const requests = server.tokenRequests

    vi.setSystemTime(Date.now() + 3_600_000)
    const tokens = await Promise.all(
      [a, b, a, b, a, b].map((connections) => connections.accessToken('acme')),
    )
    expect(new Set(tokens).size).toBe(1)
    expect(server.tokenRequests).toBe(requests + 1)
    expect(server.entries('RefreshToken').get(original!)?.consumed).toBeDefined()
    const refreshed = [...eventsA, ...eventsB].filter(
      (event) => event.type === 'connection-refreshed',
    )
    expect(refreshed).toHaveLength(1)

    // The rotated token was stored for both: the next refresh, by the other process, works.
    vi.setSystemTime(Date.now() + 3_600_000)
    const next = await (refreshed[0] === eventsA[0] ? b : a).accessToken('acme')
    expect(next).not.toBe(tokens[0])
    expect([...eventsA, ...eventsB].map((event) => event.type)).not.toContain('connection-revoked')
  })

  it('releases only its own lock', async () => {
    const store = createRedisConnectionStore({ client: redis.client(), prefix: 'lock:' })
    const release = await store.lock('acme', 50)
    expect(release).toBeDefined()
    expect(await store.lock('acme', 50)).toBeUndefined()
    await expect.poll(() => redis.client().exists('lock:lock:acme'), { interval: 10 }).toBe(0)
    const second = await store.lock('acme', 10_000)
    await release!()
    expect(await store.lock('acme', 10_000)).toBeUndefined()
    await second!()
    expect(await store.lock('acme', 10_000)).toBeDefined()
  })
})
