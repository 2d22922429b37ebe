import type * as nodeCrypto from 'node:crypto'
import { sign as cryptoSign } from 'node:crypto'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { createRemoteJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createVerifier } from '../../src/index.js'
import type { Verifier } from '../../src/index.js'
import { concurrentSigning } from '../../src/deliver/concurrent-signing.js'
import { createSender, createSigner, loadKeySet } from '../../src/send/index.js'
import type { Sender, SigningAlgorithm, SigningKeySet } from '../../src/send/index.js'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { generateTestKey, sha256Hex } from '@hookseal/test-support/test-keys'
import { startReceiver } from './receiver.js'
import type { ReceivedRequest, Receiver } from './receiver.js'

// The seam: node:crypto's own `sign`, spied on, so that each signature shows which form made it
// (the callback form runs on the libuv thread pool; the synchronous one on the event loop).
// It also counts the callback form's signatures in progress, and the most at once.
const pool = vi.hoisted(() => ({ now: 0, peak: 0 }))
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof nodeCrypto>()
  const sign = actual.sign as (...args: unknown[]) => unknown
  return {
    ...actual,
    sign: vi.fn((...args: unknown[]) => {
      const callback = args[3]
      if (typeof callback !== 'function') return sign(...args)
      pool.now++
      pool.peak = Math.max(pool.peak, pool.now)
      return sign(args[0], args[1], args[2], (error: Error | null, signature: Buffer) => {
        pool.now--
        callback(error, signature)
      })
    }),
  }
})

const ISSUER = 'https://sender.example'
const BODY = '{"type":"invoice.paid","invoice":"in_1042"}'
const IN_FLIGHT = 8

/** Signatures made since the last reset, by the form of `sign` that made them. */
function signatureForms(): { threadPool: number; synchronous: number } {
  const calls = vi.mocked(cryptoSign).mock.calls as unknown[][]
  const threadPool = calls.filter((args) => typeof args[3] === 'function').length
  return { threadPool, synchronous: calls.length - threadPool }
}

describe.each<SigningAlgorithm>(['RS256', 'ES256'])('%s signing in createSender', (alg) => {
  let keys: SigningKeySet
  let jwksServer: JwksServer
  let receiver: Receiver
  let sender: Sender
  let verifier: Verifier

  beforeAll(async () => {
    const { privateKey } = generateTestKey(alg)
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    keys = await loadKeySet({ keys: [{ pem, state: 'active' }] })
    jwksServer = await startJwksServer(keys.jwks())
    receiver = await startReceiver()
    sender = createSender({
      signer: createSigner({ issuer: ISSUER, keys }),
      onDeadLetter: () => {},
      allowInsecureHttp: true,
      allowPrivateAddresses: ['127.0.0.1'],
    })
    verifier = createVerifier({
      issuers: [
        { issuer: ISSUER, jwksUri: jwksServer.url, audience: receiver.url, algorithms: [alg] },
      ],
      allowInsecureHttp: true,
    })
  })

  afterAll(async () => {
    await sender.close()
    await receiver.close()
    await jwksServer.close()
  })

  beforeEach(() => {
    vi.mocked(cryptoSign).mockClear()
  })

  /** The requests the receiver got from here on. */
  function received(from: number): readonly ReceivedRequest[] {
    return receiver.requests.slice(from)
  }

  async function verifyWithBoth(request: ReceivedRequest): Promise<void> {
    const token = request.headers['x-signature'] as string
    const webhook = await verifier.verify({
      method: request.method,
      url: receiver.url,
      headers: request.headers as Record<string, string>,
      body: request.body,
    })
    expect(webhook).toMatchObject({ issuer: ISSUER, alg, bodyDigestVerified: true })

    const { payload, protectedHeader } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(jwksServer.url)),
      { issuer: ISSUER, audience: receiver.url, algorithms: [alg], typ: 'JWT' },
    )
    expect(protectedHeader).toEqual({ alg, kid: keys.keys()[0]?.kid, typ: 'JWT' })
    expect(payload).toMatchObject({ htm: 'POST', request_body_sha256: sha256Hex(BODY) })
    expect(decodeProtectedHeader(token).alg).toBe(alg)
    if (alg === 'ES256') {
      // JOSE's raw r || s, 32 bytes each, not DER.
      expect(Buffer.from(token.split('.')[2] as string, 'base64url')).toHaveLength(64)
    }
  }

  it(`${alg === 'RS256' ? 'signs on the thread pool' : 'signs in place'} while several deliveries are in flight, and every token verifies with hookseal and jose`, async () => {
    const from = receiver.requests.length
    const results = await Promise.all(
      Array.from({ length: IN_FLIGHT }, () => sender.send({ url: receiver.url, body: BODY })),
    )

    expect(results.map((result) => result.status)).toEqual(Array(IN_FLIGHT).fill(200))
    // An ES256 signature costs less than the trip to a pool thread and back: it stays in place.
    expect(signatureForms()).toEqual(
      alg === 'RS256'
        ? { threadPool: IN_FLIGHT, synchronous: 0 }
        : { threadPool: 0, synchronous: IN_FLIGHT },
    )
    const requests = received(from)
    expect(requests).toHaveLength(IN_FLIGHT)
    for (const request of requests) await verifyWithBoth(request)
  })

  it('signs a delivery alone on the calling thread, and its token verifies with hookseal and jose', async () => {
    const from = receiver.requests.length
    for (let i = 0; i < 3; i++) await sender.send({ url: receiver.url, body: BODY })

    expect(signatureForms()).toEqual({ threadPool: 0, synchronous: 3 })
    const requests = received(from)
    expect(requests).toHaveLength(3)
    for (const request of requests) await verifyWithBoth(request)
  })
})

describe('RS256 signatures on the thread pool', () => {
  it('are at most maxInThreadPool at once, the others waiting their turn', async () => {
    const { privateKey } = generateTestKey('RS256')
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    const keys = await loadKeySet({ keys: [{ pem, state: 'active' }] })
    const signing = concurrentSigning(createSigner({ issuer: ISSUER, keys }), 2)
    vi.mocked(cryptoSign).mockClear()
    pool.peak = 0

    const url = 'https://receiver.example/hooks'
    const signed = await Promise.all(
      Array.from({ length: IN_FLIGHT }, () =>
        signing.attempt(async () => {
          // As in an attempt, something is awaited before signing (a bearer token, say).
          await yieldToLoop()
          return signing.signer.sign({ body: BODY, url })
        }),
      ),
    )

    expect(signatureForms()).toEqual({ threadPool: IN_FLIGHT, synchronous: 0 })
    expect(pool.peak).toBe(2)
    const publicKey = await importJWK({ ...keys.jwks().keys[0] }, 'RS256')
    for (const headers of signed) {
      const { payload } = await jwtVerify(headers['x-signature'], publicKey, {
        issuer: ISSUER,
        audience: url,
      })
      expect(payload.request_body_sha256).toBe(sha256Hex(BODY))
    }
  })
})
