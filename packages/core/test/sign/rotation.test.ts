import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createVerifier } from '../../src/index.js'
import { createSigner, loadKeySet } from '../../src/send/index.js'
import type { Verifier, VerifierEvent } from '../../src/index.js'
import type { SignedWebhookHeaders, Signer, SigningKeySet } from '../../src/send/index.js'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { advanceDate, useFakeDate } from '@hookseal/test-support/fake-clock'
import { pemOf, privateKeyFor } from './fixtures.js'

const ISSUER = 'https://sender.example'
const URL_SENT = 'https://receiver.example/webhooks'
const BODY = '{"type":"invoice.paid"}'
const SECOND = 1000
const START = Date.UTC(2026, 6, 1)

let server: JwksServer
let keys: SigningKeySet
let signer: Signer
let events: VerifierEvent[]

/** What the sender's JWKS route would serve after each change to the key set. */
function publish(): void {
  server.setKeys(keys.jwks())
}

function receiver(): Verifier {
  return createVerifier({
    issuers: [
      {
        issuer: ISSUER,
        jwksUri: server.url,
        audience: URL_SENT,
        algorithms: ['RS256', 'ES256', 'EdDSA'],
      },
    ],
    allowInsecureHttp: true,
    onEvent: (event) => events.push(event),
  })
}

function deliver(verifier: Verifier, headers: SignedWebhookHeaders) {
  return verifier.verify({ method: 'POST', url: '/webhooks', headers, body: Buffer.from(BODY) })
}

function sign(): Promise<SignedWebhookHeaders> {
  return signer.sign({ body: BODY, url: URL_SENT })
}

function kidOf(headers: SignedWebhookHeaders): string {
  const [header] = headers['x-signature'].split('.')
  return (JSON.parse(Buffer.from(header ?? '', 'base64url').toString()) as { kid: string }).kid
}

function published(): string[] {
  return keys.jwks().keys.map((jwk) => jwk.kid)
}

beforeEach(async () => {
  useFakeDate()
  vi.setSystemTime(START)
  events = []
  keys = await loadKeySet({
    keys: [
      { pem: pemOf(privateKeyFor('RS256')), kid: 'key-a', state: 'active' },
      { pem: pemOf(privateKeyFor('ES256')), kid: 'key-b', state: 'next' },
    ],
  })
  signer = createSigner({ issuer: ISSUER, keys })
  server = await startJwksServer(keys.jwks())
  // The shortest cache a hookseal receiver keeps (its minCacheMaxAge).
  server.setHeaders({ 'cache-control': 'max-age=60' })
})

afterEach(async () => {
  vi.useRealTimers()
  await server.close()
})

describe('a stream of deliveries across rotations', () => {
  it('is accepted throughout, and every key was published before its first token', async () => {
    const verifier = receiver()
    const followers = [
      { pem: pemOf(privateKeyFor('EdDSA')), kid: 'key-c' },
      { pem: pemOf(privateKeyFor('RS256')), kid: 'key-d' },
    ]
    const signedBy = new Set<string>()

    for (let period = 0; period < 3; period++) {
      for (let i = 0; i < 5; i++) {
        const headers = await sign()
        signedBy.add(kidOf(headers))
        advanceDate(20 * SECOND)
        await deliver(verifier, headers)
      }
      // Signed by the active key just before the rotation, delivered well after it.
      const inFlight = await sign()
      keys.rotate()
      publish()
      // The new key's first token arrives at once, while the receiver still uses the JWKS it
      // fetched before the rotation.
      const first = await sign()
      signedBy.add(kidOf(first))
      await deliver(verifier, first)
      advanceDate(60 * SECOND)
      await deliver(verifier, inFlight)

      const follower = followers[period]
      if (follower !== undefined) {
        await keys.add(follower)
        publish()
      }
    }

    expect([...signedBy]).toEqual(['key-a', 'key-b', 'key-c', 'key-d'])
    expect(keys.keys().find((key) => key.state === 'active')?.kid).toBe('key-d')
    // A kid the receiver had to look up on the spot would mean a key signed before it was known.
    expect(events.filter((event) => event.type === 'jwks-unknown-kid')).toEqual([])
  })
})

describe('a retired key', () => {
  it('stays published until its last token can no longer be accepted, then is dropped', async () => {
    const lastToken = await sign()
    const retiredAt = Date.now()
    keys.rotate()
    publish()
    const window = (300 + 30) * SECOND
    expect(keys.keys().find((key) => key.kid === 'key-a')).toMatchObject({
      state: 'retired',
      retiredAt,
      publishedUntil: retiredAt + window,
    })

    advanceDate(window - 1)
    const beforeDrop = keys.jwks()
    expect(beforeDrop.keys.map((jwk) => jwk.kid)).toEqual(['key-b', 'key-a'])
    server.setKeys(beforeDrop)
    await expect(deliver(receiver(), lastToken)).resolves.toMatchObject({ kid: 'key-a' })

    advanceDate(1)
    expect(published()).toEqual(['key-b'])
    expect(keys.keys().map((key) => key.kid)).toEqual(['key-b'])
    // A receiver that still has the retired key refuses its last token by now: dropping it lost nothing.
    await expect(deliver(receiver(), lastToken)).rejects.toMatchObject({
      code: 'ERR_TOKEN_EXPIRED',
    })
  })

  it('loaded with a past retiredAt is published for what is left of its window', async () => {
    const retiredAt = new Date(START - 50 * SECOND)
    keys = await loadKeySet({
      keys: [
        { pem: pemOf(privateKeyFor('EdDSA')), kid: 'current', state: 'active' },
        { pem: pemOf(privateKeyFor('EdDSA')), kid: 'old', state: 'retired', retiredAt },
      ],
      maxTokenLifetime: 60,
      clockTolerance: 0,
    })

    expect(keys.keys()[1]).toMatchObject({
      kid: 'old',
      retiredAt: retiredAt.getTime(),
      publishedUntil: retiredAt.getTime() + 60 * SECOND,
    })
    advanceDate(10 * SECOND - 1)
    expect(published()).toEqual(['current', 'old'])
    advanceDate(1)
    expect(published()).toEqual(['current'])
  })

  it('never signs again: the promoted key signs from the moment rotate() returns', async () => {
    expect(kidOf(await sign())).toBe('key-a')
    const pending = sign()
    expect(keys.rotate()).toMatchObject({ kid: 'key-b', state: 'active', alg: 'ES256' })
    expect(kidOf(await pending)).toBe('key-a')
    expect(kidOf(await sign())).toBe('key-b')
  })
})

describe('rotate()', () => {
  it('throws without a next key, and changes nothing', async () => {
    keys.rotate()
    const before = keys.keys()

    expect(() => keys.rotate()).toThrow(/no next key/)
    expect(keys.keys()).toEqual(before)
    expect(kidOf(await sign())).toBe('key-b')
  })
})

describe('add() and remove() at run time', () => {
  it('add a key as next by default, publish it, and let the following rotate() activate it', async () => {
    keys.rotate()
    const added = await keys.add({ pem: pemOf(privateKeyFor('RS256')), kid: 'key-c' })

    expect(added).toMatchObject({ kid: 'key-c', state: 'next', alg: 'RS256', addedAt: START })
    expect(published()).toEqual(['key-b', 'key-c', 'key-a'])
    expect(kidOf(await sign())).toBe('key-b')
    keys.rotate()
    expect(kidOf(await sign())).toBe('key-c')
  })

  it('refuse a second next key, an active key and a taken kid, changing nothing', async () => {
    const before = keys.keys()
    const pem = pemOf(privateKeyFor('EdDSA'))

    await expect(keys.add({ pem, kid: 'key-c' })).rejects.toThrow(/at most one key may be next/)
    await expect(keys.add({ pem, kid: 'key-c', state: 'active' as 'next' })).rejects.toThrow(
      TypeError,
    )
    await expect(keys.add({ pem, kid: 'key-a', state: 'retired' })).rejects.toThrow(
      /two keys have kid key-a/,
    )
    expect(keys.keys()).toEqual(before)
  })

  it('let only one of two concurrent adds of a next key through', async () => {
    keys.rotate()
    const results = await Promise.allSettled([
      keys.add({ pem: pemOf(privateKeyFor('EdDSA')), kid: 'key-c' }),
      keys.add({ pem: pemOf(privateKeyFor('EdDSA')), kid: 'key-d' }),
    ])

    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(keys.keys().filter((key) => key.state === 'next')).toHaveLength(1)
  })

  it('remove a retired or next key from the JWKS at once, never the active key', async () => {
    keys.rotate()

    expect(keys.remove('key-a')).toBe(true)
    expect(published()).toEqual(['key-b'])
    expect(keys.remove('key-a')).toBe(false)
    expect(() => keys.remove('key-b')).toThrow(TypeError)
    expect(published()).toEqual(['key-b'])
  })
})
