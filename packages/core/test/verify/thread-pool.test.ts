import type * as nodeCrypto from 'node:crypto'
import { availableParallelism } from 'node:os'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createVerifier, WebhookError } from '../../src/index.js'
import type { Verifier, WebhookRequest } from '../../src/index.js'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import {
  generateTestKey,
  jwksOf,
  signToken,
  tokenRequest,
  webhookClaims,
} from '@hookseal/test-support/test-keys'
import type { TestKey } from '@hookseal/test-support/test-keys'
import { rejectionOf } from '@hookseal/test-support/rejection'

/**
 * node:crypto's `verify`, recording which form each call took: the callback form runs on libuv's
 * thread pool, the plain one on the event loop. The count of callback-form calls still running is
 * what the pool holds.
 */
const calls = vi.hoisted(() => ({ sync: 0, pooled: 0, pooledNow: 0, pooledMax: 0 }))
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof nodeCrypto>()
  const verify = ((...args: unknown[]) => {
    const callback = args[4]
    if (typeof callback !== 'function') {
      calls.sync++
      return (actual.verify as (...a: unknown[]) => boolean)(...args)
    }
    calls.pooled++
    calls.pooledMax = Math.max(calls.pooledMax, ++calls.pooledNow)
    return (actual.verify as (...a: unknown[]) => void)(
      ...args.slice(0, 4),
      (error: Error | null, verified: boolean) => {
        calls.pooledNow--
        ;(callback as (e: Error | null, v: boolean) => void)(error, verified)
      },
    )
  }) as typeof nodeCrypto.verify
  return { ...actual, verify }
})

const ISSUER = 'https://partner.example'
const AUDIENCE = 'https://receiver.example/webhooks'
const BODY = '{"event":"payment.settled","amount":1200}'
/** Checks the pool may hold at once: four per thread of its 4; none on one core. */
const POOL_SHARE = availableParallelism() > 1 ? 16 : 0

let jwks: JwksServer
let keys: Record<'RS256' | 'ES256' | 'EdDSA', TestKey>
let verifier: Verifier

function request(token: string): WebhookRequest {
  return tokenRequest(token, BODY)
}

function token(alg: keyof typeof keys): Promise<string> {
  return signToken({ key: keys[alg], claims: webhookClaims(ISSUER, AUDIENCE, BODY) })
}

/** The token with one bit of its signature flipped. */
function tampered(valid: string): string {
  const dot = valid.lastIndexOf('.')
  const signature = Buffer.from(valid.slice(dot + 1), 'base64url')
  signature[10] = (signature[10] as number) ^ 1
  return `${valid.slice(0, dot + 1)}${signature.toString('base64url')}`
}

beforeAll(async () => {
  keys = {
    RS256: generateTestKey('RS256'),
    ES256: generateTestKey('ES256'),
    EdDSA: generateTestKey('EdDSA'),
  }
  jwks = await startJwksServer(jwksOf(keys.RS256, keys.ES256, keys.EdDSA))
  verifier = createVerifier({
    issuers: [
      {
        issuer: ISSUER,
        jwksUri: jwks.url,
        audience: AUDIENCE,
        algorithms: ['RS256', 'ES256', 'EdDSA'],
      },
    ],
    allowInsecureHttp: true,
  })
  // The first verification fetches the JWKS; the tests count from a warm key cache.
  await verifier.verify(request(await token('ES256')))
})

afterAll(async () => {
  await jwks.close()
})

beforeEach(() => {
  Object.assign(calls, { sync: 0, pooled: 0, pooledNow: 0, pooledMax: 0 })
})

describe('signature checks while other verifications are in flight', () => {
  it('checks a lone verification on the event loop, one after another', async () => {
    for (let i = 0; i < 5; i++) await verifier.verify(request(await token('RS256')))
    expect(calls).toEqual({ sync: 5, pooled: 0, pooledNow: 0, pooledMax: 0 })
  })

  it.each(['RS256', 'ES256', 'EdDSA'] as const)(
    'sends 32 concurrent %s checks to the thread pool, one per core at a time, same verdicts',
    async (alg) => {
      const valid = await Promise.all(Array.from({ length: 31 }, () => token(alg)))
      const forged = tampered(await token(alg))
      const outcomes = await Promise.allSettled(
        [...valid, forged].map((each) => verifier.verify(request(each))),
      )
      expect(outcomes.slice(0, 31).every((outcome) => outcome.status === 'fulfilled')).toBe(true)
      const last = outcomes[31] as PromiseRejectedResult
      expect(last.reason).toBeInstanceOf(WebhookError)
      expect((last.reason as WebhookError).code).toBe('ERR_SIGNATURE_INVALID')
      // All in the pool (unless there is one core), never more at once than its share; the rest
      // waited for a place.
      expect(calls).toEqual(
        POOL_SHARE > 0
          ? { sync: 0, pooled: 32, pooledNow: 0, pooledMax: POOL_SHARE }
          : { sync: 32, pooled: 0, pooledNow: 0, pooledMax: 0 },
      )
    },
  )

  it('refuses a forged signature in the pool as it does alone', async () => {
    const forged = tampered(await token('RS256'))
    const [alone] = await Promise.allSettled([verifier.verify(request(forged))])
    const crowd = await Promise.allSettled(
      [forged, ...(await Promise.all([token('RS256'), token('RS256')]))].map((each) =>
        verifier.verify(request(each)),
      ),
    )
    for (const outcome of [alone, crowd[0]]) {
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({
        code: 'ERR_SIGNATURE_INVALID',
      })
    }
    expect(await rejectionOf(verifier.verify(request(forged)), WebhookError)).toMatchObject({
      code: 'ERR_SIGNATURE_INVALID',
    })
  })
})
