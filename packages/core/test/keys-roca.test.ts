import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hasRocaFingerprint } from '../src/keys/roca-fingerprint.js'

/** A modulus of the vulnerable form: k·M + 65537^a mod M, where M is the product of the primes. */
function rocaShapedModulus(): bigint {
  const primes = [3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n, 43n, 47n, 53n, 59n]
  const more = [61n, 67n, 71n, 73n, 79n, 83n, 89n, 97n, 101n, 103n, 107n, 109n, 113n, 127n]
  const last = [131n, 137n, 139n, 149n, 151n, 157n, 163n, 167n]
  const m = [...primes, ...more, ...last].reduce((product, prime) => product * prime, 1n)
  let power = 1n
  for (let i = 0; i < 1234; i++) power = (power * 65537n) % m
  const k = BigInt(`0x${randomBytes(200).toString('hex')}`)
  return k * m + power
}

describe('hasRocaFingerprint', () => {
  it('flags a modulus of the ROCA form', () => {
    expect(hasRocaFingerprint(rocaShapedModulus())).toBe(true)
  })

  it('does not flag 10,000 random odd 2048-bit numbers', () => {
    let flagged = 0
    for (let i = 0; i < 10_000; i++) {
      if (hasRocaFingerprint(BigInt(`0x${randomBytes(256).toString('hex')}`) | 1n)) flagged++
    }
    expect(flagged).toBe(0)
  })

  it('does not flag a modulus made by node:crypto', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const n = publicKey.export({ format: 'jwk' }).n as string
    expect(hasRocaFingerprint(BigInt(`0x${Buffer.from(n, 'base64url').toString('hex')}`))).toBe(
      false,
    )
  })
})
