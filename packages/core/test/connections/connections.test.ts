import { randomBytes } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { startOidcServer } from '@hookseal/test-support/oidc-server'
import type { OidcServer } from '@hookseal/test-support/oidc-server'
import { rejectionOf } from '@hookseal/test-support/rejection'
import {
  ConnectionError,
  createConnections,
  createMemoryConnectionStore,
} from '@hookseal/core/send'
import { connectionOptions, REDIRECT_URI } from '@hookseal/test-support/connection-options'
import type {
  ConnectionEvent,
  ConnectionsOptions,
  ConnectionStore,
  StoredConnection,
} from '@hookseal/core/send'

const redirectUri = REDIRECT_URI
const key = { id: 'k1', key: randomBytes(32) }
let server: OidcServer

beforeAll(async () => {
  server = await startOidcServer({ redirectUris: [redirectUri] })
})
afterAll(() => server.close())
afterEach(() => {
  vi.useRealTimers()
  server.setTokenEndpointDown(false)
})

function connectionsFor(extra: Partial<ConnectionsOptions> = {}) {
  const events: ConnectionEvent[] = []
  const store = extra.store ?? createMemoryConnectionStore()
  const connections = createConnections(
    connectionOptions(server, {
      encryptionKeys: [key],
      onEvent: (event) => events.push(event),
      ...extra,
      store,
    }),
  )
  return { connections, events, store }
}

describe('the first authorization', () => {
  it('sends the super-user with an S256 challenge and a state, and returns the claims', async () => {
    const { connections, events, store } = connectionsFor()
    const url = await connections.begin('acme')
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{20,}$/)
    expect(url.searchParams.get('redirect_uri')).toBe(redirectUri)

    const callback = await server.authorize(url, 'acme-admin')
    expect(callback.searchParams.get('iss')).toBe(server.issuer)
    const connected = await connections.complete(callback)

    expect(connected.customer).toBe('acme')
    expect(connected.claims).toMatchObject({
      sub: 'acme-admin',
      tenant: 'tenant-of-acme-admin',
      partner: 'mercurygate',
    })
    expect(events.map((event) => event.type)).toEqual(['connection-connected'])
    const token = await connections.accessToken('acme')
    expect(server.entries('AccessToken').has(token)).toBe(true)
    // At rest the tokens are sealed: neither the access nor the refresh token is in the store.
    const record = await store.get('acme')
    const text = JSON.stringify(record)
    expect(text).not.toContain(token)
    const refreshTokens = server.unspentRefreshTokens('acme-admin')
    expect(refreshTokens).toHaveLength(1)
    for (const refresh of refreshTokens) expect(text).not.toContain(refresh)
  })

  it('refuses a state it never issued, with nothing stored', async () => {
    const { connections, store } = connectionsFor()
    const url = await connections.begin('acme')
    const callback = await server.authorize(url, 'acme-admin')
    callback.searchParams.set('state', 'a-state-nobody-issued-0123456789')
    const error = await rejectionOf(connections.complete(callback), ConnectionError)
    expect(error.code).toBe('ERR_CONNECTION_STATE_INVALID')
    expect(error.status).toBe(400)
    expect(await store.get('acme')).toBeUndefined()
  })

  it('accepts a callback once: the replay is refused', async () => {
    const { connections } = connectionsFor()
    const callback = await server.authorize(await connections.begin('acme'), 'acme-admin')
    await connections.complete(callback)
    const error = await rejectionOf(connections.complete(callback), ConnectionError)
    expect(error.code).toBe('ERR_CONNECTION_STATE_INVALID')
  })

  it('refuses a state after ten minutes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { connections } = connectionsFor()
    const url = await connections.begin('acme')
    const callback = await server.authorize(url, 'acme-admin')
    vi.setSystemTime(Date.now() + 600_001)
    const error = await rejectionOf(connections.complete(callback), ConnectionError)
    expect(error.code).toBe('ERR_CONNECTION_STATE_INVALID')
  })

  it('refuses a callback whose iss is not the issuer (RFC 9207)', async () => {
    const { connections } = connectionsFor()
    const callback = await server.authorize(await connections.begin('acme'), 'acme-admin')
    callback.searchParams.set('iss', 'https://attacker.example')
    const error = await rejectionOf(connections.complete(callback), ConnectionError)
    expect(error.code).toBe('ERR_CONNECTION_ISSUER_MISMATCH')
  })

  it('reports an error response from the server, and a callback without a code', async () => {
    const { connections } = connectionsFor()
    const denied = new URL(redirectUri)
    denied.searchParams.set('state', (await connections.begin('acme')).searchParams.get('state')!)
    denied.searchParams.set('error', 'access_denied')
    denied.searchParams.set('iss', server.issuer)
    const refusal = await rejectionOf(connections.complete(denied), ConnectionError)
    expect(refusal.code).toBe('ERR_CONNECTION_DENIED')
    expect(refusal.message).toContain('access_denied')

    const bare = new URL(redirectUri)
    bare.searchParams.set('state', (await connections.begin('acme')).searchParams.get('state')!)
    bare.searchParams.set('iss', server.issuer)
    const missing = await rejectionOf(connections.complete(bare), ConnectionError)
    expect(missing.code).toBe('ERR_CONNECTION_CODE_MISSING')
  })
})

describe('access tokens', () => {
  it('refreshes ahead of expiry, once for concurrent callers, and stores the rotated token', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { connections, events, store } = connectionsFor()
    await connections.complete(await server.authorize(await connections.begin('acme'), 'refresher'))
    const first = await connections.accessToken('acme')
    const [refreshBefore] = server.unspentRefreshTokens('refresher')
    const before = server.tokenRequests
    const stored = (await store.get('acme')) as StoredConnection

    // 3600 s tokens are refreshed 60 s before they run out: not yet at 3539 s.
    vi.setSystemTime(Date.now() + 3_539_000)
    expect(await connections.accessToken('acme')).toBe(first)
    expect(server.tokenRequests).toBe(before)

    vi.setSystemTime(Date.now() + 2000)
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => connections.accessToken('acme')))
    expect(new Set(tokens).size).toBe(1)
    expect(tokens[0]).not.toBe(first)
    expect(server.tokenRequests).toBe(before + 1)
    // Rotation: the old refresh token is spent, a new one is stored in its place.
    expect(server.entries('RefreshToken').get(refreshBefore!)?.consumed).toBeDefined()
    const after = (await store.get('acme')) as StoredConnection
    expect(after.refreshToken).not.toBe(stored.refreshToken)
    expect(events.filter((event) => event.type === 'connection-refreshed')).toEqual([
      expect.objectContaining({ customer: 'acme', rotated: true }),
    ])

    // The next refresh uses the rotated token and succeeds.
    vi.setSystemTime(Date.now() + 3_600_000)
    expect(await connections.accessToken('acme')).not.toBe(tokens[0])
    expect(server.tokenRequests).toBe(before + 2)
  })

  it('stores the rotated refresh token before the new access token is handed out', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const memory = createMemoryConnectionStore()
    let failPuts = false
    const store: ConnectionStore = {
      ...memory,
      put: async (connection) => {
        if (failPuts) throw new Error('the store is down')
        return memory.put(connection)
      },
    }
    const { connections } = connectionsFor({ store })
    await connections.complete(
      await server.authorize(await connections.begin('acme'), 'acme-admin'),
    )
    vi.setSystemTime(Date.now() + 3_600_000)
    failPuts = true
    const error = await rejectionOf(connections.accessToken('acme'), ConnectionError)
    expect(error.code).toBe('ERR_CONNECTION_STORE_UNAVAILABLE')
    expect(error.retryable).toBe(true)
  })

  it('marks the connection revoked when the server refuses the refresh token', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { connections, events } = connectionsFor()
    await connections.complete(
      await server.authorize(await connections.begin('acme'), 'revoked-admin'),
    )
    for (const id of server.unspentRefreshTokens('revoked-admin'))
      server.entries('RefreshToken').delete(id)
    vi.setSystemTime(Date.now() + 3_600_000)

    const error = await rejectionOf(connections.accessToken('acme'), ConnectionError)
    expect(error.code).toBe('ERR_CONNECTION_REVOKED')
    expect(events.map((event) => event.type)).toEqual([
      'connection-connected',
      'connection-revoked',
    ])
    expect((await connections.status('acme'))?.status).toBe('revoked')
    // Asked again, it does not go back to the server.
    const requests = server.tokenRequests
    const again = await rejectionOf(connections.accessToken('acme'), ConnectionError)
    expect(again.code).toBe('ERR_CONNECTION_REVOKED')
    expect(server.tokenRequests).toBe(requests)
  })

  it('reports a token endpoint that is down as retryable, and recovers', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { connections } = connectionsFor()
    await connections.complete(
      await server.authorize(await connections.begin('acme'), 'acme-admin'),
    )
    vi.setSystemTime(Date.now() + 3_600_000)
    server.setTokenEndpointDown(true)
    const error = await rejectionOf(connections.accessToken('acme'), ConnectionError)
    expect(error.code).toBe('ERR_AUTHORIZATION_SERVER_UNAVAILABLE')
    expect(error.retryable).toBe(true)
    expect((await connections.status('acme'))?.status).toBe('active')
    server.setTokenEndpointDown(false)
    expect(await connections.accessToken('acme')).toMatch(/\S/)
  })

  it('fetches a new token for a rejected one, unless another caller already did', async () => {
    const { connections } = connectionsFor()
    await connections.complete(
      await server.authorize(await connections.begin('acme'), 'acme-admin'),
    )
    const first = await connections.accessToken('acme')
    const before = server.tokenRequests
    const [a, b] = await Promise.all([
      connections.accessToken('acme', { rejected: first }),
      connections.accessToken('acme', { rejected: first }),
    ])
    expect(a).toBe(b)
    expect(a).not.toBe(first)
    expect(server.tokenRequests).toBe(before + 1)
  })

  it('says when a customer has no connection', async () => {
    const { connections } = connectionsFor()
    const error = await rejectionOf(connections.accessToken('nobody'), ConnectionError)
    expect(error.code).toBe('ERR_CONNECTION_NOT_FOUND')
  })
})

describe('disconnect', () => {
  it('revokes the grant at the server (RFC 7009) and forgets the connection', async () => {
    const { connections, events } = connectionsFor()
    await connections.complete(await server.authorize(await connections.begin('acme'), 'leaver'))
    const token = await connections.accessToken('acme')
    const [refresh] = server.unspentRefreshTokens('leaver')
    await connections.disconnect('acme')
    expect(server.entries('RefreshToken').has(refresh!)).toBe(false)
    expect(server.entries('AccessToken').has(token)).toBe(false)
    expect(await connections.status('acme')).toBeUndefined()
    expect(events.at(-1)).toEqual({
      type: 'connection-disconnected',
      customer: 'acme',
      revokedAtServer: true,
    })
  })
})

describe('encryption at rest', () => {
  it('opens tokens sealed with an older key after rotation, and nothing without the key', async () => {
    const store = createMemoryConnectionStore()
    const { connections } = connectionsFor({ store })
    await connections.complete(
      await server.authorize(await connections.begin('acme'), 'acme-admin'),
    )
    const token = await connections.accessToken('acme')

    const rotated = connectionsFor({
      store,
      encryptionKeys: [{ id: 'k2', key: randomBytes(32) }, key],
    }).connections
    expect(await rotated.accessToken('acme')).toBe(token)

    const keyless = connectionsFor({
      store,
      encryptionKeys: [{ id: 'k2', key: randomBytes(32) }],
    }).connections
    const error = await rejectionOf(keyless.accessToken('acme'), ConnectionError)
    expect(error.code).toBe('ERR_CONNECTION_UNREADABLE')
    expect(error.message).not.toContain(token)

    const wrongKey = connectionsFor({
      store,
      encryptionKeys: [{ id: 'k1', key: randomBytes(32) }],
    }).connections
    expect((await rejectionOf(wrongKey.accessToken('acme'), ConnectionError)).code).toBe(
      'ERR_CONNECTION_UNREADABLE',
    )
  })
})
