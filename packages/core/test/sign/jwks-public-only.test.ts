import type { KeyObject } from 'node:crypto'
import fc from 'fast-check'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSigner, loadKeySet } from '../../src/send/index.js'
import type { SigningKeyInput, SigningKeySet, SigningKeyState } from '../../src/send/index.js'
import { ALGORITHMS, jwkOf, pemOf, privateKeyFor, SECRET_MEMBERS } from './fixtures.js'

const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['alg', 'e', 'kid', 'kty', 'n', 'use'],
  EC: ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'],
  OKP: ['alg', 'crv', 'kid', 'kty', 'use', 'x'],
}
const KEYS_PER_TYPE = 3
const SEED = 20_260_701

type Source = 'pem' | 'jwk' | 'jwk-text' | 'jwk-with-extras'
type Operation =
  | { type: 'rotate' }
  | { type: 'advance'; ms: number }
  | { type: 'add'; state: 'next' | 'retired'; source: Source }
  | { type: 'remove'; position: number }

let pool: KeyObject[]
/** Every private value of every pool key, each of which must never be published. */
let secrets: string[]

beforeAll(() => {
  pool = ALGORITHMS.flatMap((alg) =>
    Array.from({ length: KEYS_PER_TYPE }, () => privateKeyFor(alg)),
  )
  secrets = pool.flatMap((key) => {
    const jwk = jwkOf(key) as Record<string, unknown>
    return SECRET_MEMBERS.map((member) => jwk[member]).filter(
      (value): value is string => typeof value === 'string',
    )
  })
})

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
})

afterEach(() => {
  vi.useRealTimers()
})

function input(key: KeyObject, source: Source): SigningKeyInput {
  switch (source) {
    case 'pem':
      return { pem: pemOf(key) }
    case 'jwk':
      return { jwk: jwkOf(key) }
    case 'jwk-text':
      return { jwk: JSON.stringify(jwkOf(key)) }
    case 'jwk-with-extras':
      // Members a careless export might carry: none of them may be echoed into the JWKS.
      return {
        jwk: {
          ...jwkOf(key),
          k: 'c2hhcmVkLXNlY3JldA',
          ext: true,
          x5c: ['MIIB'],
          use: 'sig',
        } as never,
      }
  }
}

function assertPublicOnly(keySet: SigningKeySet): void {
  for (const jwk of keySet.jwks().keys) {
    for (const member of SECRET_MEMBERS) expect(jwk).not.toHaveProperty(member)
    expect(Object.keys(jwk).sort()).toEqual(PUBLIC_MEMBERS[jwk.kty])
  }
  const everything = JSON.stringify([keySet, keySet.jwks(), keySet.keys()])
  for (const secret of secrets) expect(everything).not.toContain(secret)
}

const source = fc.constantFrom<Source>('pem', 'jwk', 'jwk-text', 'jwk-with-extras')
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.constant({ type: 'rotate' as const }),
  fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400_000 }) }),
  fc.record({
    type: fc.constant('add' as const),
    state: fc.constantFrom('next' as const, 'retired' as const),
    source,
  }),
  fc.record({ type: fc.constant('remove' as const), position: fc.nat({ max: 8 }) }),
)

describe('jwks()', () => {
  it('never publishes a private member, whatever the key types, sources, states and history', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray([...pool.keys()], { minLength: 1, maxLength: pool.length }),
        fc.array(source, { minLength: pool.length, maxLength: pool.length }),
        fc.boolean(),
        fc.array(operation, { maxLength: 12 }),
        async (order, sources, withNext, operations) => {
          vi.setSystemTime(Date.UTC(2026, 6, 1))
          const initial = order.slice(0, 4)
          const spare = order.slice(4)
          const states: SigningKeyState[] = initial.map((_, i) =>
            i === 0 ? 'active' : i === 1 && withNext ? 'next' : 'retired',
          )
          const keySet = await loadKeySet({
            keys: initial.map((index, i) => ({
              ...input(pool[index] as KeyObject, sources[index] ?? 'pem'),
              state: states[i],
            })),
          })
          const signer = createSigner({ issuer: 'https://sender.example', keys: keySet })
          assertPublicOnly(keySet)

          for (const step of operations) {
            if (step.type === 'rotate') {
              if (keySet.keys().some((key) => key.state === 'next')) keySet.rotate()
            } else if (step.type === 'advance') {
              vi.setSystemTime(Date.now() + step.ms)
            } else if (step.type === 'add') {
              const index = spare.shift()
              const hasNext = keySet.keys().some((key) => key.state === 'next')
              if (index !== undefined && !(step.state === 'next' && hasNext)) {
                await keySet.add({
                  ...input(pool[index] as KeyObject, step.source),
                  state: step.state,
                })
              }
            } else {
              const key = keySet.keys()[step.position]
              if (key !== undefined && key.state !== 'active') keySet.remove(key.kid)
            }
            assertPublicOnly(keySet)
            const { 'x-signature': token } = await signer.sign({
              body: '{}',
              url: 'https://receiver.example/webhooks',
            })
            for (const secret of secrets) expect(token).not.toContain(secret)
          }
        },
      ),
      { numRuns: 60, seed: SEED },
    )
  })
})
