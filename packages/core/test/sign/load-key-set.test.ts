import { generateKeyPairSync, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { calculateJwkThumbprint } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { rejectionOf } from '@hookseal/test-support/rejection'
import { loadKeySet } from '../../src/send/index.js'
import type { SigningKeyInput, SigningKeySet } from '../../src/send/index.js'
import { ALGORITHMS, jwkOf, pemOf, privateKeyFor, publicJwkOf } from './fixtures.js'

const ENV_PREFIX = 'HOOKSEAL_SIGN_TEST_'

let dir: string
let rsa: KeyObject
let ec: KeyObject
let ed: KeyObject

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hookseal-keys-'))
  rsa = privateKeyFor('RS256')
  ec = privateKeyFor('ES256')
  ed = privateKeyFor('EdDSA')
})

afterAll(() => rm(dir, { recursive: true, force: true }))

afterEach(() => {
  for (const name of Object.keys(process.env)) {
    if (name.startsWith(ENV_PREFIX)) delete process.env[name]
  }
})

function one(key: SigningKeyInput): Promise<SigningKeySet> {
  return loadKeySet({ keys: [key] })
}

async function published(key: SigningKeyInput) {
  const [jwk] = (await one(key)).jwks().keys
  return jwk
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  return (await rejectionOf(promise, TypeError)).message
}

describe('keys are read', () => {
  it.each([
    ['PKCS#8 PEM', () => pemOf(rsa)],
    ['PKCS#1 PEM', () => rsa.export({ format: 'pem', type: 'pkcs1' }) as string],
    ['SEC1 PEM', () => ec.export({ format: 'pem', type: 'sec1' }) as string],
  ])('from inline %s', async (_name, pem) => {
    await expect(published({ pem: pem() })).resolves.toMatchObject({ use: 'sig' })
  })

  it('from an inline JWK, as an object or as JSON text', async () => {
    const fromObject = await published({ jwk: jwkOf(ed) })
    const fromText = await published({ jwk: JSON.stringify(jwkOf(ed)) })

    expect(fromObject).toEqual(fromText)
    expect(fromObject).toMatchObject({ kty: 'OKP', crv: 'Ed25519', x: jwkOf(ed).x })
  })

  it('from a file holding PEM or a JWK, by path or file URL', async () => {
    const pemFile = join(dir, 'key.pem')
    const jwkFile = join(dir, 'key.json')
    await writeFile(pemFile, pemOf(ec))
    await writeFile(jwkFile, `${JSON.stringify(jwkOf(ec), null, 2)}\n`)

    const expected = await published({ pem: pemOf(ec) })
    expect(await published({ file: pemFile })).toEqual(expected)
    expect(await published({ file: jwkFile })).toEqual(expected)
    expect(await published({ file: pathToFileURL(pemFile) })).toEqual(expected)
  })

  it('from an environment variable holding PEM, PEM on one line with "\\n", or a JWK', async () => {
    const pem = pemOf(rsa)
    process.env[`${ENV_PREFIX}PEM`] = pem
    process.env[`${ENV_PREFIX}ONE_LINE`] = pem.trim().replaceAll('\n', '\\n')
    process.env[`${ENV_PREFIX}JWK`] = JSON.stringify(jwkOf(rsa))

    const expected = await published({ pem })
    expect(await published({ env: `${ENV_PREFIX}PEM` })).toEqual(expected)
    expect(await published({ env: `${ENV_PREFIX}ONE_LINE` })).toEqual(expected)
    expect(await published({ env: `${ENV_PREFIX}JWK` })).toEqual(expected)
  })
})

describe('kid and alg', () => {
  it.each(ALGORITHMS)(
    'default to the RFC 7638 thumbprint jose computes, and %s for its key type',
    async (alg) => {
      const key = privateKeyFor(alg)
      const jwk = await published({ pem: pemOf(key) })

      expect(jwk?.kid).toBe(await calculateJwkThumbprint(publicJwkOf(key), 'sha256'))
      expect(jwk?.alg).toBe(alg)
    },
  )

  it('come from the JWK when it has them, and from the options above all', async () => {
    const jwk = { ...jwkOf(ec), kid: 'from-jwk', alg: 'ES256', use: 'sig', key_ops: ['sign'] }

    expect(await published({ jwk })).toMatchObject({ kid: 'from-jwk', alg: 'ES256' })
    expect(await published({ jwk, kid: 'from-options' })).toMatchObject({ kid: 'from-options' })
  })

  it('are listed, with state and dates, for operators', async () => {
    const keys = await loadKeySet({
      keys: [
        { pem: pemOf(rsa), kid: 'a', state: 'active' },
        { pem: pemOf(ec), kid: 'b', state: 'next' },
        { pem: pemOf(ed), kid: 'c', state: 'retired' },
      ],
    })

    const [active, next, retired] = keys.keys()
    expect(active).toEqual({ kid: 'a', alg: 'RS256', state: 'active', addedAt: expect.any(Number) })
    expect(next).toMatchObject({ kid: 'b', alg: 'ES256', state: 'next' })
    expect(retired).toMatchObject({ kid: 'c', alg: 'EdDSA', state: 'retired' })
    expect(retired?.publishedUntil).toBe((retired?.retiredAt ?? 0) + 330_000)
    expect(keys).toMatchObject({ maxTokenLifetime: 300, clockTolerance: 30 })
  })
})

describe('loadKeySet refuses with a TypeError', () => {
  it('an RSA key under 2048 bits', async () => {
    expect(await refusal(one({ pem: pemOf(privateKeyFor('RS256', 1024)) }))).toMatch(
      /1024 bits; at least 2048/,
    )
  })

  it('a public key, as PEM or as JWK', async () => {
    const publicPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString()
    expect(await refusal(one({ pem: publicPem }))).toMatch(/public key/)
    expect(await refusal(one({ jwk: publicJwkOf(rsa) }))).toMatch(/public key/)
  })

  it('an HMAC secret, as an oct JWK or as a bare secret in a variable', async () => {
    const k = randomBytes(32).toString('base64url')
    process.env[`${ENV_PREFIX}SECRET`] = k

    expect(await refusal(one({ jwk: { kty: 'oct', k } }))).toMatch(/HMAC/)
    const message = await refusal(one({ env: `${ENV_PREFIX}SECRET` }))
    expect(message).toMatch(/shared secret/)
    expect(message).not.toContain(k)
  })

  it.each([
    ['HS256', /HMAC/],
    ['RS512', /not supported/],
    ['none', /not supported/],
  ])('alg %s', async (alg, message) => {
    expect(await refusal(one({ pem: pemOf(rsa), alg: alg as SigningKeyInput['alg'] }))).toMatch(
      message,
    )
  })

  it('an alg that does not fit the key, or contradicts the JWK', async () => {
    expect(await refusal(one({ pem: pemOf(rsa), alg: 'ES256' }))).toMatch(/signs RS256, not ES256/)
    expect(await refusal(one({ jwk: { ...jwkOf(ed), alg: 'EdDSA' }, alg: 'ES256' }))).toMatch(
      /contradicts/,
    )
  })

  it('a key type or curve receivers cannot use', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey
    const x25519 = generateKeyPairSync('x25519').privateKey
    expect(await refusal(one({ pem: pemOf(p384) }))).toMatch(/secp384r1 key cannot sign/)
    expect(await refusal(one({ pem: pemOf(x25519) }))).toMatch(/x25519 key cannot sign/)
  })

  it('a JWK meant for something else than signing', async () => {
    expect(await refusal(one({ jwk: { ...jwkOf(ec), use: 'enc' } }))).toMatch(/use is "enc"/)
    expect(await refusal(one({ jwk: { ...jwkOf(ec), key_ops: ['verify'] } }))).toMatch(/key_ops/)
  })

  it('a multi-prime RSA JWK, alike on every Node line', async () => {
    const message = await refusal(one({ jwk: { ...jwkOf(rsa), oth: [] } as never }))
    expect(message).toMatch(/multi-prime RSA key \("oth"\), which is not supported/)
  })

  it('a JWK whose public members belong to another key', async () => {
    const other = jwkOf(privateKeyFor('ES256'))
    const message = await refusal(one({ jwk: { ...jwkOf(ec), x: other.x, y: other.y } }))
    // Node 22 and 24 refuse the mismatch when importing the JWK; Node 20 imports it, and the
    // key's test signature then fails to verify. Either way the key never loads.
    expect(message).toMatch(
      /does not verify its own signatures|the JWK cannot be imported as a private key/,
    )
  })

  it('two active keys, no active key, or two next keys', async () => {
    const [a, b, c] = [pemOf(rsa), pemOf(ec), pemOf(ed)]
    expect(
      await refusal(
        loadKeySet({
          keys: [
            { pem: a, state: 'active' },
            { pem: b, state: 'active' },
          ],
        }),
      ),
    ).toMatch(/exactly one key must be active, not 2/)
    expect(await refusal(loadKeySet({ keys: [{ pem: a, state: 'next' }] }))).toMatch(/not 0/)
    expect(
      await refusal(
        loadKeySet({
          keys: [
            { pem: a, state: 'active' },
            { pem: b, state: 'next' },
            { pem: c, state: 'next' },
          ],
        }),
      ),
    ).toMatch(/at most one key may be next/)
  })

  it('a kid used twice, given or derived', async () => {
    expect(
      await refusal(
        loadKeySet({
          keys: [
            { pem: pemOf(rsa), state: 'active' },
            { jwk: jwkOf(rsa), state: 'retired' },
          ],
        }),
      ),
    ).toMatch(/two keys have kid/)
    expect(
      await refusal(
        loadKeySet({
          keys: [
            { pem: pemOf(rsa), kid: 'k', state: 'active' },
            { pem: pemOf(ec), kid: 'k', state: 'next' },
          ],
        }),
      ),
    ).toMatch(/two keys have kid k/)
  })

  it('a missing file, an unset variable, or not exactly one source', async () => {
    expect(await refusal(one({ file: join(dir, 'absent.pem') }))).toMatch(/ENOENT/)
    expect(await refusal(one({ env: `${ENV_PREFIX}UNSET` }))).toMatch(/is not set/)
    expect(await refusal(one({} as SigningKeyInput))).toMatch(/exactly one of pem, jwk/)
    expect(await refusal(one({ pem: pemOf(rsa), env: 'X' } as unknown as SigningKeyInput))).toMatch(
      /exactly one of pem, jwk/,
    )
  })

  it('JWK text that is not JSON, without quoting it', async () => {
    const secretLooking = `{${randomBytes(16).toString('hex')}`
    const message = await refusal(one({ jwk: secretLooking }))
    expect(message).toMatch(/not valid JSON/)
    expect(message).not.toContain(secretLooking.slice(1))
  })

  it('bad set options and key settings', async () => {
    const pem = pemOf(ed)
    await expect(loadKeySet({ keys: [] })).rejects.toThrow(TypeError)
    await expect(loadKeySet({ keys: [{ pem }], maxTokenLifetime: 0 })).rejects.toThrow(TypeError)
    await expect(loadKeySet({ keys: [{ pem }], clockTolerance: -1 })).rejects.toThrow(TypeError)
    await expect(one({ pem, state: 'old' as 'next' })).rejects.toThrow(/state must be/)
    await expect(one({ pem, retiredAt: Date.now() })).rejects.toThrow(/retired keys only/)
    await expect(one({ pem, kid: '' })).rejects.toThrow(/kid must be/)
  })
})
