import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  JwksUnavailableError,
  RetryableWebhookError,
  WebhookError,
} from '../../src/errors/webhook-error.js'
import { createRemoteKeySet } from '../../src/jwks/create-remote-key-set.js'
import type { KeySetEvent, RemoteKeySet, RemoteKeySetOptions } from '../../src/jwks/types.js'
import { isUsable } from '../../src/keys/verification-key.js'
import { createVerifier } from '../../src/verify/create-verifier.js'
import { restartJwksServer, startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import {
  advanceDate,
  settlesAtOnce,
  useFakeClock,
  useFakeDate,
} from '@hookseal/test-support/fake-clock'
import { generateTestKey, jwksOf, signToken, webhookClaims } from '@hookseal/test-support/test-keys'
import type { TestKey } from '@hookseal/test-support/test-keys'

const SECOND = 1000

let oldKey: TestKey
let newKey: TestKey
let server: JwksServer
let events: KeySetEvent[]

beforeAll(async () => {
  oldKey = generateTestKey('RS256', 'key-old')
  newKey = generateTestKey('RS256', 'key-new')
  server = await startJwksServer(jwksOf(oldKey))
})

afterAll(() => server.close())

beforeEach(() => {
  useFakeDate()
  events = []
})

afterEach(async () => {
  vi.useRealTimers()
  server = await restartJwksServer(server, jwksOf(oldKey))
})

async function primedKeySet(options: Partial<RemoteKeySetOptions> = {}): Promise<RemoteKeySet> {
  const keySet = createRemoteKeySet({
    jwksUri: server.url,
    allowInsecureHttp: true,
    onEvent: (event) => events.push(event),
    ...options,
  })
  await keySet.getKey('key-old')
  expect(server.requestCount).toBe(1)
  events = []
  return keySet
}

function count(type: KeySetEvent['type']): number {
  return events.filter((event) => event.type === type).length
}

async function settleAll(promises: Array<Promise<unknown>>): Promise<unknown[]> {
  return Promise.all(
    promises.map((promise) =>
      promise.then(
        () => undefined,
        (err: unknown) => err,
      ),
    ),
  )
}

function codes(errors: unknown[]): Set<string | undefined> {
  return new Set(errors.map((err) => (err instanceof WebhookError ? err.code : undefined)))
}

describe('a freshly rotated kid', () => {
  it('is fetched once for 500 concurrent requests, and every one gets the new key', async () => {
    const keySet = await primedKeySet()
    server.setKeys(jwksOf(newKey))

    const entries = await Promise.all(Array.from({ length: 500 }, () => keySet.getKey('key-new')))

    expect(server.requestCount).toBe(2)
    expect(entries).toHaveLength(500)
    for (const entry of entries) {
      expect(isUsable(entry) && entry.keyObject.equals(newKey.publicKey)).toBe(true)
    }
    expect(count('jwks-fetch')).toBe(1)
  })
})

describe('unknown kids', () => {
  it('cause at most one fetch per cooldown however many arrive', async () => {
    const keySet = await primedKeySet()

    const flood = await settleAll(Array.from({ length: 200 }, () => keySet.getKey(randomUUID())))
    expect(server.requestCount).toBe(2)
    expect(codes(flood)).toEqual(new Set(['ERR_KEY_NOT_FOUND']))

    advanceDate(29 * SECOND)
    const during = await settleAll(Array.from({ length: 200 }, () => keySet.getKey(randomUUID())))
    expect(server.requestCount).toBe(2)
    expect(codes(during)).toEqual(new Set(['ERR_KEY_NOT_FOUND']))
    expect(count('jwks-cooldown')).toBe(200)

    advanceDate(SECOND)
    const after = await settleAll(Array.from({ length: 200 }, () => keySet.getKey(randomUUID())))
    expect(server.requestCount).toBe(3)
    expect(codes(after)).toEqual(new Set(['ERR_KEY_NOT_FOUND']))
    // Known kids are untouched by the cooldown.
    await expect(keySet.getKey('key-old')).resolves.toMatchObject({ kid: 'key-old' })
  })

  it('are refused at once during the cooldown, never queued behind a fetch', async () => {
    const keySet = await primedKeySet({ timeout: 5000 })
    await settleAll([keySet.getKey('first-unknown')])
    expect(server.requestCount).toBe(2)

    // Were a lookup to fetch or wait now, it would sit on this endpoint until a timer fired; with
    // the timers fake and standing still, it would never be answered.
    server.setBehaviour('hang')
    useFakeClock(Date.now())
    const lookup = settleAll([keySet.getKey('second-unknown')])
    const [error] = (await settlesAtOnce(lookup, 'the refusal')) as unknown[]
    expect((error as WebhookError).code).toBe('ERR_KEY_NOT_FOUND')
    expect((error as WebhookError).status).toBe(401)
    expect(server.requestCount).toBe(2)
    expect(events.at(-1)).toEqual({
      type: 'jwks-cooldown',
      jwksUri: server.url,
      kid: 'second-unknown',
    })
  })

  it('start the cooldown from their refetch even when it finds the kid', async () => {
    const keySet = await primedKeySet()
    server.setKeys(jwksOf(oldKey, newKey))
    await keySet.getKey('key-new')
    await settleAll([keySet.getKey('random')])
    expect(server.requestCount).toBe(2)
    expect(count('jwks-unknown-kid')).toBe(1)
    expect(count('jwks-cooldown')).toBe(1)
  })

  it('are refused with ERR_KEY_NOT_FOUND when the first fetch lacks them, and stay cached', async () => {
    const keySet = createRemoteKeySet({ jwksUri: server.url, allowInsecureHttp: true })
    const [first, second] = await settleAll([keySet.getKey('nope'), keySet.getKey('nope')])
    expect((first as WebhookError).code).toBe('ERR_KEY_NOT_FOUND')
    expect((second as WebhookError).code).toBe('ERR_KEY_NOT_FOUND')
    await settleAll([keySet.getKey('nope')])
    expect(server.requestCount).toBe(1)
  })

  it('get 503, not 401, when their refetch fails: the kid may exist', async () => {
    const keySet = await primedKeySet()
    server.setBehaviour('down')

    const [error] = await settleAll([keySet.getKey('key-new')])
    expect(error).toBeInstanceOf(JwksUnavailableError)
    expect((error as JwksUnavailableError).retryAfter).toBe(5)
    expect((error as JwksUnavailableError).message).not.toContain(server.url)
    expect(server.requestCount).toBe(2)

    // During the backoff: refused at once with the remaining wait, no fetch; known kids still verify.
    advanceDate(3 * SECOND)
    const [again] = await settleAll([keySet.getKey('key-new')])
    expect((again as JwksUnavailableError).retryAfter).toBe(2)
    expect(server.requestCount).toBe(2)
    await expect(keySet.getKey('key-old')).resolves.toMatchObject({ kid: 'key-old' })
    expect(count('jwks-unknown-kid')).toBe(2)
  })

  it('never name the kid or any key in the refusal', async () => {
    const keySet = await primedKeySet()
    const [error] = await settleAll([keySet.getKey('<script>kid</script>')])
    expect((error as WebhookError).message).not.toContain('script')
    expect((error as WebhookError).message).not.toContain(String(oldKey.jwk.n).slice(0, 16))
  })
})

describe('a kid published after the last fetch, during the cooldown', () => {
  const seconds = (ms: number): number => ms / 1000

  it('gets 503 with the rest of the cooldown when no fetch since its iat looked, with no fetch', async () => {
    const keySet = await primedKeySet()
    // A made-up kid starts the cooldown with one refetch, at t0.
    const t0 = Date.now()
    await settleAll([keySet.getKey('made-up', seconds(t0))])
    expect(server.requestCount).toBe(2)

    // The sender publishes a key 4.5 s later and signs with it at once.
    advanceDate(4500)
    server.setKeys(jwksOf(oldKey, newKey))
    const issuedAt = seconds(Date.now())
    const [during] = await settleAll([keySet.getKey('key-new', issuedAt)])
    expect(during).toBeInstanceOf(RetryableWebhookError)
    expect(during).toMatchObject({
      code: 'ERR_KEY_NOT_YET_FETCHED',
      status: 503,
      retryAfter: 26,
      headers: { 'retry-after': '26' },
    })
    advanceDate(25_400)
    const [later] = await settleAll([keySet.getKey('key-new', issuedAt)])
    expect(later).toMatchObject({ code: 'ERR_KEY_NOT_YET_FETCHED', retryAfter: 1 })
    expect(server.requestCount).toBe(2)

    // The retry after the cooldown refetches once and finds the key.
    advanceDate(100)
    await expect(keySet.getKey('key-new', issuedAt)).resolves.toMatchObject({ kid: 'key-new' })
    expect(server.requestCount).toBe(3)
  })

  it('stays 401 when a fetch made after its iat found it absent, or when the token has no iat', async () => {
    const keySet = await primedKeySet()
    advanceDate(2000)
    const issuedBefore = seconds(Date.now())
    advanceDate(1000)
    // This refetch starts after the token was issued: its answer is final for that token.
    await settleAll([keySet.getKey('made-up', issuedBefore)])
    expect(server.requestCount).toBe(2)
    advanceDate(5000)
    const refusals = await settleAll([
      keySet.getKey('made-up', issuedBefore),
      keySet.getKey('other-made-up', issuedBefore),
      keySet.getKey('no-iat'),
    ])
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ code: 'ERR_KEY_NOT_FOUND', status: 401 })
    }
    expect(server.requestCount).toBe(2)
  })

  it('gets 503 when the only fetch that missed it had started before its iat', async () => {
    const keySet = await primedKeySet()
    advanceDate(60_000)
    // A refetch for an unknown kid is under way when a token issued after it started arrives.
    let answer: (() => void) | undefined
    server.setHandler((_req, res) => {
      answer = () => {
        res.writeHead(200, { 'content-type': 'application/jwk-set+json' })
        res.end(JSON.stringify(jwksOf(oldKey)))
      }
    })
    const first = settleAll([keySet.getKey('made-up', seconds(Date.now()))])
    await vi.waitFor(() => expect(answer).toBeDefined())
    advanceDate(1000)
    const second = settleAll([keySet.getKey('key-new', seconds(Date.now()))])
    answer?.()
    const [[firstRefusal], [secondRefusal]] = await Promise.all([first, second])
    expect(firstRefusal).toMatchObject({ code: 'ERR_KEY_NOT_FOUND' })
    expect(secondRefusal).toMatchObject({ code: 'ERR_KEY_NOT_YET_FETCHED', retryAfter: 30 })
    expect(server.requestCount).toBe(2)
  })

  it('reaches the sender as 503 and Retry-After through the verifier', async () => {
    const verifier = createVerifier({
      issuers: [{ issuer: 'https://partner.example', jwksUri: server.url, audience: 'me' }],
      allowInsecureHttp: true,
    })
    const body = '{"event":"key.rotated"}'
    const send = async (key: TestKey) => {
      const claims = webhookClaims('https://partner.example', 'me', body)
      const token = await signToken({ key, claims })
      return verifier
        .verify({
          method: 'POST',
          url: '/',
          headers: { 'x-signature': token },
          body: Buffer.from(body),
        })
        .then(
          () => 'accepted',
          (err: WebhookError) =>
            err instanceof RetryableWebhookError
              ? `${err.status} ${err.code}, Retry-After ${err.headers['retry-after']}`
              : `${err.status} ${err.code}`,
        )
    }
    expect(await send(oldKey)).toBe('accepted')
    const unknown = generateTestKey('RS256', 'made-up')
    expect(await send(unknown)).toBe('401 ERR_KEY_NOT_FOUND')
    advanceDate(3000)
    server.setKeys(jwksOf(oldKey, newKey))
    expect(await send(newKey)).toBe('503 ERR_KEY_NOT_YET_FETCHED, Retry-After 27')
    expect(server.requestCount).toBe(2)
    advanceDate(27_000)
    expect(await send(newKey)).toBe('accepted')
    expect(server.requestCount).toBe(3)
  })
})
