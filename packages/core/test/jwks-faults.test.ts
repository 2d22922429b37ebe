import { createServer as createHttpServer } from 'node:http'
import type { RequestListener, Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createVerifier, RetryableWebhookError, WebhookError } from '../src/index.js'
import type { Verifier, VerifierEvent } from '../src/index.js'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { createTestCa } from '@hookseal/test-support/test-ca'
import type { TestCertificate } from '@hookseal/test-support/test-ca'
import {
  generateTestKey,
  jwksOf,
  signCompact,
  webhookClaims,
} from '@hookseal/test-support/test-keys'
import type { TestKey } from '@hookseal/test-support/test-keys'
import { advanceDate, useFakeDate } from '@hookseal/test-support/fake-clock'

/**
 * The verifier against a real JWKS endpoint on loopback that is switched between behaviours while a
 * test runs. For each fault: what the verifier answers when the fault is there from the start, which
 * events it reports, and what happens when the fault starts after keys were cached: within their
 * freshness nothing changes, past it the last good keys keep verifying for the stale window (or, for
 * a successful fetch of a bad or changed key set, the new set decides), and after the fault ends
 * verification recovers once the backoff has elapsed.
 *
 * Only Date is faked, so that freshness, backoff and the stale window can be crossed at once while
 * sockets and the fetch timeout keep real time.
 */

const ISSUER = 'https://partner.example'
const AUDIENCE = 'https://receiver.example/webhooks'
const BODY = '{"event":"payment.settled"}'
const SECOND = 1000
const MINUTE = 60 * SECOND
/** Short, so that the slow endpoint costs little real time; every other setting is the default. */
const TIMEOUT = 250
const FRESHNESS = 10 * MINUTE
const STALE_WINDOW = 60 * MINUTE
const MAX_BACKOFF = MINUTE

let current: TestKey
let next: TestKey
let trusted: TestCertificate
let untrusted: TestCertificate
let caPem: string
let elsewhere: JwksServer

/**
 * A JWKS endpoint on 127.0.0.1 whose behaviour, listening state and TLS certificate can change
 * mid-test, on a port that stays the same.
 */
interface Endpoint {
  readonly url: string
  readonly requestCount: number
  /** Answers with this handler instead of serving the JWKS; undefined serves it again. */
  setHandler(handler: RequestListener | undefined): void
  setKeys(jwks: object): void
  /** Stops listening and drops open connections: nothing answers on the port. */
  stop(): Promise<void>
  /** Listens again on the same port. */
  start(): Promise<void>
  /** Presents another certificate to new TLS connections (HTTPS endpoints only). */
  setCertificate(certificate: TestCertificate): void
  close(): Promise<void>
}

async function startEndpoint(tls?: TestCertificate): Promise<Endpoint> {
  let keys: object = jwksOf(current)
  let handler: RequestListener | undefined
  let requestCount = 0
  const listener: RequestListener = (req, res) => {
    requestCount++
    if (handler !== undefined) return handler(req, res)
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' })
    res.end(JSON.stringify(keys))
  }
  const server: Server | HttpsServer =
    tls === undefined ? createHttpServer(listener) : createHttpsServer(tls, listener)
  let listening = false
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        listening = true
        resolve()
      })
    })
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (!listening) return resolve()
      listening = false
      server.close(() => resolve())
      server.closeAllConnections()
    })
  await listen(0)
  const { port } = server.address() as AddressInfo
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}/.well-known/jwks.json`,
    get requestCount() {
      return requestCount
    },
    setHandler: (next) => void (handler = next),
    setKeys: (next) => void (keys = next),
    stop,
    start: () => listen(port),
    setCertificate: (certificate) => (server as HttpsServer).setSecureContext(certificate),
    close: stop,
  }
}

/** A fault, how the endpoint is switched into it and back, and what the verifier does about it. */
interface Fault {
  readonly name: string
  readonly tls?: boolean
  apply(endpoint: Endpoint): void | Promise<void>
  heal(endpoint: Endpoint): void | Promise<void>
  /**
   * `failure`: the fetch fails (reported as jwks-fetch-failed with this message); cached keys keep
   * verifying for the stale window, nothing cached answers 503.
   * `keys`: the fetch succeeds with a key set that refuses the token with this code.
   */
  readonly outcome:
    | { readonly kind: 'failure'; readonly message: RegExp }
    | { readonly kind: 'keys'; readonly code: string; readonly events: readonly string[] }
}

const serving = (handler: RequestListener) => (endpoint: Endpoint) => endpoint.setHandler(handler)
const servingKeys = (endpoint: Endpoint): void => endpoint.setHandler(undefined)

const FAULTS: readonly Fault[] = [
  {
    name: 'down: nothing listens',
    apply: (endpoint) => endpoint.stop(),
    heal: (endpoint) => endpoint.start(),
    outcome: { kind: 'failure', message: /ECONNREFUSED/ },
  },
  {
    name: 'connection reset before any answer',
    apply: serving((req) => req.socket.destroy()),
    heal: servingKeys,
    outcome: { kind: 'failure', message: /socket hang up|ECONNRESET|ended before/ },
  },
  {
    name: 'slow: answers after the timeout',
    apply: serving((_req, res) => {
      const timer = setTimeout(() => {
        if (res.destroyed) return
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(jwksOf(current)))
      }, TIMEOUT * 4)
      res.on('close', () => clearTimeout(timer))
    }),
    heal: servingKeys,
    outcome: { kind: 'failure', message: new RegExp(`no complete response within ${TIMEOUT} ms`) },
  },
  {
    name: 'answers 500',
    apply: serving((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end('{"error":"internal"}')
    }),
    heal: servingKeys,
    outcome: { kind: 'failure', message: /answered 500, not 200/ },
  },
  {
    name: 'answers invalid JSON',
    apply: serving((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' })
      res.end(JSON.stringify(jwksOf(current)).slice(0, -3))
    }),
    heal: servingKeys,
    outcome: { kind: 'failure', message: /not JSON/ },
  },
  {
    name: 'answers an HTML page as text/html',
    apply: serving((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<!doctype html><title>Maintenance</title>')
    }),
    heal: servingKeys,
    outcome: { kind: 'failure', message: /not JSON/ },
  },
  {
    name: 'redirects to another host',
    apply: serving((_req, res) => {
      // Another host name for another server: the redirect is refused, not followed.
      res.writeHead(302, { location: elsewhere.url.replace('127.0.0.1', 'localhost') })
      res.end()
    }),
    heal: servingKeys,
    outcome: { kind: 'failure', message: /answered 302; redirects are not followed/ },
  },
  {
    name: 'sends a body over the 1 MiB cap',
    apply: serving((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      let sent = 0
      const write = (): void => {
        while (sent < 8 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length
          if (!res.write(chunk)) return void res.once('drain', write)
        }
        res.end()
      }
      write()
    }),
    heal: servingKeys,
    outcome: { kind: 'failure', message: /exceeds 1048576 bytes/ },
  },
  {
    name: 'presents a certificate from an untrusted CA',
    tls: true,
    apply: (endpoint) => endpoint.setCertificate(untrusted),
    heal: (endpoint) => endpoint.setCertificate(trusted),
    outcome: { kind: 'failure', message: /certificate/i },
  },
  {
    name: 'publishes the current kid twice',
    apply: (endpoint) =>
      endpoint.setKeys({
        keys: [current.jwk, { ...generateTestKey('ES256', current.kid).jwk }, next.jwk],
      }),
    heal: (endpoint) => endpoint.setKeys(jwksOf(current, next)),
    outcome: { kind: 'keys', code: 'ERR_KEY_UNUSABLE', events: ['jwks-fetch'] },
  },
  {
    name: 'drops the current key',
    apply: (endpoint) => endpoint.setKeys(jwksOf(next)),
    heal: (endpoint) => endpoint.setKeys(jwksOf(current, next)),
    outcome: {
      kind: 'keys',
      code: 'ERR_KEY_NOT_FOUND',
      events: ['jwks-fetch', 'jwks-unknown-kid'],
    },
  },
]

beforeAll(async () => {
  current = generateTestKey('ES256', 'current')
  next = generateTestKey('ES256', 'next')
  const ca = await createTestCa()
  trusted = await ca.issueServerCertificate({ ipAddresses: ['127.0.0.1'] })
  untrusted = await (
    await createTestCa('another CA')
  ).issueServerCertificate({
    ipAddresses: ['127.0.0.1'],
  })
  caPem = ca.caPem
  elsewhere = await startJwksServer(jwksOf(current, next))
})

afterAll(() => elsewhere.close())

function tokenOf(key: TestKey): string {
  return signCompact(key, {}, webhookClaims(ISSUER, AUDIENCE, BODY))
}

describe.each(FAULTS)('a JWKS endpoint that $name', (fault) => {
  let endpoint: Endpoint
  let events: VerifierEvent[]
  let verifier: Verifier

  beforeEach(async () => {
    useFakeDate()
    events = []
    endpoint = await startEndpoint(fault.tls === true ? trusted : undefined)
    endpoint.setKeys(jwksOf(current, next))
    verifier = createVerifier({
      issuers: [
        {
          issuer: ISSUER,
          jwksUri: endpoint.url,
          audience: AUDIENCE,
          algorithms: ['ES256'],
          jwks: { timeout: TIMEOUT, ...(fault.tls === true ? { ca: caPem } : {}) },
        },
      ],
      allowInsecureHttp: true,
      onEvent: (event) => events.push(event),
    })
  })

  afterEach(async () => {
    vi.useRealTimers()
    await endpoint.close()
    // The redirect target is never requested: redirects are refused, not followed.
    expect(elsewhere.requestCount).toBe(0)
  })

  /** 'accepted', or the refusal's code and status (with Retry-After on a 503). */
  async function answer(key: TestKey = current): Promise<string> {
    try {
      await verifier.verify({
        method: 'POST',
        url: '/webhooks',
        headers: { 'x-signature': tokenOf(key) },
        body: Buffer.from(BODY),
      })
      return 'accepted'
    } catch (error) {
      if (!(error instanceof WebhookError)) throw error
      const retry = error instanceof RetryableWebhookError ? ` retry-after ${error.retryAfter}` : ''
      return `${error.status} ${error.code}${retry}`
    }
  }

  /** The events since the last call, as `type` or `type: message` for failures. */
  function takeEvents(): string[] {
    for (const event of events) expect(event.issuer).toBe(ISSUER)
    const taken = events.map((event) =>
      event.type === 'jwks-fetch-failed' ? `${event.type}: ${event.error.message}` : event.type,
    )
    events = []
    return taken
  }

  function failed(message: RegExp): unknown {
    return expect.stringMatching(
      new RegExp(`^jwks-fetch-failed: .*${message.source}`, message.flags),
    )
  }

  it('at start: answers as the fault says, reports it, and recovers once it ends', async () => {
    await fault.apply(endpoint)
    if (fault.outcome.kind === 'failure') {
      // Nothing cached: the sender is asked to retry after the first backoff, 5 s.
      expect(await answer()).toBe('503 ERR_JWKS_UNAVAILABLE retry-after 5')
      expect(takeEvents()).toEqual([failed(fault.outcome.message)])
      // Within the backoff no new attempt is made: the answer is at once, the endpoint untouched.
      const requests = endpoint.requestCount
      expect(await answer()).toBe('503 ERR_JWKS_UNAVAILABLE retry-after 5')
      expect(endpoint.requestCount).toBe(requests)
    } else {
      expect(await answer()).toBe(`401 ${fault.outcome.code}`)
      expect(takeEvents()).toEqual(fault.outcome.events)
      // The other key of the set still verifies.
      expect(await answer(next)).toBe('accepted')
    }
    await fault.heal(endpoint)
    advanceDate(MAX_BACKOFF + SECOND)
    // A kid published twice is present in the cached set, so only the set's expiry refetches it.
    if (fault.outcome.kind === 'keys') advanceDate(FRESHNESS)
    expect(await answer()).toBe('accepted')
    expect(takeEvents()).toContain('jwks-fetch')
  })

  it('mid-run: cached keys verify through the fault for the stale window, then the fault decides', async () => {
    expect(await answer()).toBe('accepted')
    expect(takeEvents()).toEqual(['jwks-fetch'])
    await fault.apply(endpoint)

    // Within the set's freshness the endpoint is not asked at all.
    const requests = endpoint.requestCount
    advanceDate(FRESHNESS / 2)
    expect(await answer()).toBe('accepted')
    expect(endpoint.requestCount).toBe(requests)
    expect(takeEvents()).toEqual([])

    advanceDate(FRESHNESS / 2 + SECOND)
    if (fault.outcome.kind === 'keys') {
      // The fetch succeeds: the set the sender now publishes is the one that counts.
      expect(await answer()).toBe(`401 ${fault.outcome.code}`)
      expect(takeEvents()).toEqual(fault.outcome.events)
      expect(await answer(next)).toBe('accepted')
    } else {
      const message = fault.outcome.message
      expect(await answer()).toBe('accepted')
      expect(takeEvents()).toEqual([failed(message), 'jwks-stale'])
      // Later in the stale window, after the backoff: another attempt fails, stale keys still serve.
      advanceDate(STALE_WINDOW - 2 * MINUTE)
      expect(await answer()).toBe('accepted')
      expect(takeEvents()).toEqual([failed(message), 'jwks-stale'])
      // A kid the stale set does not hold cannot be proven absent: 503, not 401.
      advanceDate(MAX_BACKOFF + SECOND)
      expect(await answer(generateTestKey('ES256', 'rotated'))).toMatch(/^503 ERR_JWKS_UNAVAILABLE/)
      // Past the stale window nothing usable is left.
      advanceDate(2 * MINUTE)
      expect(await answer()).toMatch(/^503 ERR_JWKS_UNAVAILABLE retry-after \d+$/)
    }

    await fault.heal(endpoint)
    advanceDate(MAX_BACKOFF + SECOND)
    // A kid published twice is present in the cached set, so only the set's expiry refetches it.
    if (fault.outcome.kind === 'keys') advanceDate(FRESHNESS)
    expect(await answer()).toBe('accepted')
    expect(takeEvents()).toContain('jwks-fetch')
  })
})

describe('a JWKS endpoint that answers the key set with a non-JSON content type', () => {
  it('is read for its body: a JWK Set sent as text/plain verifies', async () => {
    const key = generateTestKey('ES256', 'plain')
    const server = await startJwksServer()
    try {
      server.setHandler((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.end(JSON.stringify(jwksOf(key)))
      })
      const verifier = createVerifier({
        issuers: [
          { issuer: ISSUER, jwksUri: server.url, audience: AUDIENCE, algorithms: ['ES256'] },
        ],
        allowInsecureHttp: true,
      })
      const webhook = await verifier.verify({
        method: 'POST',
        url: '/webhooks',
        headers: { 'x-signature': tokenOf(key) },
        body: Buffer.from(BODY),
      })
      expect(webhook.kid).toBe('plain')
    } finally {
      await server.close()
    }
  })
})
