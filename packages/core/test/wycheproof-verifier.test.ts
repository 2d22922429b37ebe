import { constants, createHmac, createPrivateKey, randomUUID, sign } from 'node:crypto'
import type { JsonWebKey, KeyObject } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, SUPPORTED_ALGORITHMS } from '../src/index.js'
import type { IssuerOptions, Verifier } from '../src/index.js'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { segment, sha256Hex } from '@hookseal/test-support/test-keys'
import { readVectorFile } from '@hookseal/test-support/vectors'
import { verdictOf } from '@hookseal/test-support/verdict'

/**
 * The Wycheproof JSON Web Signature and JSON Web Key vectors through the whole verifier: each test
 * group's key set is served as a JWKS from a loopback endpoint, and each vector's token arrives in
 * X-Signature. wycheproof.test.ts checks the same vectors against the signature and key-selection
 * steps alone; this file proves what the verifier as a whole answers.
 *
 * No vector carries a JWT claim set (their payloads are "foo", "", bytes or prose), so as published
 * every one is refused as malformed before any key is fetched. The vectors are then carried over to
 * webhook tokens: the payload segment is replaced by a claim set for the group's issuer, and
 *   - `kept`: the vector's own signature segment stays, so a valid vector no longer verifies and an
 *     invalid one shows where the verifier stops it (a verifier that skipped the signature, accepted
 *     `none`, or took an all-zero ECDSA signature would accept these);
 *   - `re-signed`: a fresh signature is made with the group's private key for the header's `alg`,
 *     so the header and the JWKS key alone decide.
 */

const AUDIENCE = 'https://receiver.example/webhooks'
const BODY = Buffer.from('{"event":"wycheproof"}')

type Jwk = JsonWebKey & { kid?: string; alg?: string; k?: string }
type JwkOrSet = Jwk | { keys: Jwk[] }

interface Vector {
  tcId: number
  comment: string
  flags: string[]
  jws: string
  result: 'valid' | 'invalid' | 'acceptable'
}

interface Group {
  comment: string
  private: JwkOrSet
  public?: JwkOrSet
  tests: Vector[]
}

const FILES = { jws: 'json_web_signature_test.json', jwk: 'json_web_key_test.json' } as const
type FileId = keyof typeof FILES

interface LoadedGroup extends Group {
  readonly file: FileId
  readonly issuer: string
  readonly path: string
}

function keysOf(value: JwkOrSet): Jwk[] {
  return 'keys' in value && Array.isArray(value.keys) ? value.keys : [value as Jwk]
}

function loadGroups(file: FileId): LoadedGroup[] {
  const parsed = readVectorFile<{
    numberOfTests: number
    testGroups: Group[]
  }>(`wycheproof/${FILES[file]}`)
  const groups = parsed.testGroups.map((group, index) => ({
    ...group,
    file,
    issuer: `https://wycheproof.example/${file}/${index}`,
    path: `/${file}/${index}`,
  }))
  expect(groups.reduce((sum, g) => sum + g.tests.length, 0)).toBe(parsed.numberOfTests)
  return groups
}

/** Lenient decoding, only to learn which alg and kid a vector's header names. */
function headerOf(token: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(
      Buffer.from(token.split('.')[0] ?? '', 'base64url').toString(),
    )
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

const HASHES: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' }

/**
 * Signs `input` for `alg` with the group's key named by `kid` (or its first key). HS* uses the
 * group's secret for that kid, or, where the kid names a public key, that key's published JWK as
 * the secret: the key-confusion forgery. `none` gets an empty signature.
 */
function signatureFor(
  group: LoadedGroup,
  alg: unknown,
  kid: unknown,
  input: string,
): string | undefined {
  const keys = keysOf(group.private)
  const jwk = keys.find((k) => k.kid === kid) ?? keys[0]
  if (typeof alg !== 'string' || jwk === undefined || /^none$/i.test(alg)) return ''
  const hash = HASHES[alg.slice(2)] ?? 'sha256'
  if (alg.startsWith('HS')) {
    const secret =
      jwk.kty === 'oct'
        ? Buffer.from(jwk.k ?? '', 'base64url')
        : JSON.stringify(keysOf(group.public ?? group.private)[0])
    return createHmac(hash, secret).update(input).digest('base64url')
  }
  let key: KeyObject
  try {
    key = createPrivateKey({ key: jwk, format: 'jwk' })
  } catch {
    return undefined
  }
  const data = Buffer.from(input)
  const signature = alg.startsWith('PS')
    ? sign(hash, data, {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: Number(alg.slice(2)) / 8,
      })
    : alg.startsWith('ES')
      ? sign(hash, data, { key, dsaEncoding: 'ieee-p1363' })
      : alg === 'EdDSA'
        ? sign(null, data, key)
        : sign(hash, data, key)
  return signature.toString('base64url')
}

type Variant = 'published' | 'kept' | 're-signed'

/**
 * The token a vector becomes in a variant, or undefined when it has no payload segment to replace
 * (the empty string, a lone segment, JSON serialization).
 */
function tokenFor(group: LoadedGroup, vector: Vector, variant: Variant): string | undefined {
  if (variant === 'published') return vector.jws
  const segments = vector.jws.split('.')
  if (segments.length < 2 || vector.jws.startsWith('{')) return undefined
  const now = Math.floor(Date.now() / 1000)
  segments[1] = segment({
    iss: group.issuer,
    aud: AUDIENCE,
    // A minute old: issued before any refetch whose 30 s cooldown still runs, so that a kid the
    // JWKS lacks is refused as absent (401), not as possibly published since (503).
    iat: now - 60,
    exp: now + 300,
    jti: `${group.file}-${vector.tcId}-${variant}-${randomUUID()}`,
    request_body_sha256: sha256Hex(BODY),
  })
  const own = segments[2]
  if (variant === 're-signed' && segments.length === 3 && own !== undefined && own !== '') {
    const header = headerOf(vector.jws)
    const input = `${segments[0]}.${segments[1]}`
    // Keys that do not import (an invalid point, a wrong curve or kty) keep their own signature.
    segments[2] = signatureFor(group, header?.alg, header?.kid, input) ?? own
  }
  return segments.join('.')
}

interface Run {
  /** 'accepted', or the error code of the refusal, per tcId. */
  readonly outcomes: ReadonlyMap<number, string>
  /** Refusal message per tcId. */
  readonly messages: ReadonlyMap<number, string>
  /** tcIds with no payload segment to carry over. */
  readonly skipped: readonly number[]
}

async function run(verifier: Verifier, groups: LoadedGroup[], variant: Variant): Promise<Run> {
  const outcomes = new Map<number, string>()
  const messages = new Map<number, string>()
  const skipped: number[] = []
  for (const group of groups) {
    for (const vector of group.tests) {
      const token = tokenFor(group, vector, variant)
      if (token === undefined) {
        skipped.push(vector.tcId)
        continue
      }
      const verdict = await verdictOf(verifier, token, BODY)
      if (verdict.accepted) {
        outcomes.set(vector.tcId, 'accepted')
      } else {
        expect(verdict.error.status, `tcId ${vector.tcId}`).toBe(401)
        outcomes.set(vector.tcId, verdict.error.code)
        messages.set(vector.tcId, verdict.error.message)
      }
    }
  }
  return { outcomes, messages, skipped }
}

/** tcIds by outcome (or by any other label), for the vectors `which` selects. */
function tabulate(
  groups: LoadedGroup[],
  labels: ReadonlyMap<number, string>,
  which: (vector: Vector) => boolean = () => true,
): Record<string, number[]> {
  const table: Record<string, number[]> = {}
  for (const vector of groups.flatMap((g) => g.tests).filter(which)) {
    const label = labels.get(vector.tcId)
    if (label !== undefined) (table[label] ??= []).push(vector.tcId)
  }
  return table
}

const isValid = (vector: Vector): boolean => vector.result === 'valid'
const isInvalid = (vector: Vector): boolean => vector.result === 'invalid'

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

function except(ids: readonly number[], ...left: ReadonlyArray<readonly number[]>): number[] {
  const out = new Set(left.flat())
  return ids.filter((id) => !out.has(id))
}

/**
 * The exceptions: valid vectors that the verifier refuses even re-signed over a webhook claim set,
 * with every asymmetric algorithm allowed. A change to this list is a change of behaviour.
 */
const VALID_BUT_REFUSED = {
  jws: {
    // HS256 (RFC 7520 figure 35, the hs256 and base64 groups): HMAC is never verified, since a
    // sender's keys are public; ' ' and '\n' around the JSON members (376, 377) change nothing.
    ERR_ALG_NOT_ALLOWED: [1, 348, 352, 357, 358, 359, 373, 376, 377],
    // RFC 7520 figures 20 and 27: the JWK says "alg": "PS256" (resp. "ES521") and the token says
    // PS384 (resp. ES512). A key is bound to the one algorithm it names.
    ERR_KEY_UNUSABLE: [346, 347, 350, 351],
    // A '?' inserted in the header segment: not base64url, refused by the strict decoder (373 has
    // it in the payload segment, which the carry-over replaces).
    ERR_TOKEN_MALFORMED: [372],
  },
  jwk: {
    // HS256 / HS384 / HS512 key sets.
    ERR_ALG_NOT_ALLOWED: [2, 13, 14, 15],
  },
} satisfies Record<FileId, Record<string, number[]>>

/** The vectors Wycheproof labels valid, by file; none is `acceptable`. */
const VALID = {
  jws: [
    1,
    18,
    33,
    ...range(259, 275),
    287,
    288,
    ...range(320, 323),
    ...range(325, 328),
    ...range(345, 352),
    ...range(357, 359),
    ...range(372, 373),
    ...range(376, 378),
  ],
  jwk: [2, 5, 13, 14, 15],
}

let server: JwksServer
const groups = { jws: [] as LoadedGroup[], jwk: [] as LoadedGroup[] }
/** Every asymmetric algorithm hookseal supports is allowed. */
let everyAlgorithm: Verifier
/** The default allow-list: RS256 only. */
let rs256Only: Verifier

beforeAll(async () => {
  groups.jws = loadGroups('jws')
  groups.jwk = loadGroups('jwk')
  const byPath = new Map(
    [...groups.jws, ...groups.jwk].map((g) => [g.path, { keys: keysOf(g.public ?? g.private) }]),
  )
  server = await startJwksServer(
    { keys: [] },
    {
      handler: (req, res) => {
        const jwks = byPath.get(req.url ?? '')
        res.writeHead(jwks === undefined ? 404 : 200, {
          'content-type': 'application/jwk-set+json',
        })
        res.end(JSON.stringify(jwks ?? {}))
      },
    },
  )
  const origin = new URL(server.url).origin
  const issuers = (extra: Partial<IssuerOptions>): IssuerOptions[] =>
    [...groups.jws, ...groups.jwk].map((g) => ({
      issuer: g.issuer,
      jwksUri: `${origin}${g.path}`,
      audience: AUDIENCE,
      ...extra,
    }))
  everyAlgorithm = createVerifier({
    issuers: issuers({ algorithms: [...SUPPORTED_ALGORITHMS] }),
    allowInsecureHttp: true,
  })
  rs256Only = createVerifier({ issuers: issuers({}), allowInsecureHttp: true })
})

afterAll(() => server.close())

describe('Wycheproof JWS and JWK vectors as published, through createVerifier', () => {
  it('refuses every vector before any JWKS is fetched: no vector carries a JWT claim set', async () => {
    const labelledValid = (file: FileId): number[] =>
      groups[file].flatMap((g) => g.tests.filter(isValid).map((t) => t.tcId))
    expect([labelledValid('jws'), labelledValid('jwk')]).toEqual([VALID.jws, VALID.jwk])
    const labels = [...groups.jws, ...groups.jwk].flatMap((g) => g.tests.map((t) => t.result))
    expect(labels.filter((result) => result === 'acceptable')).toEqual([])

    const before = server.requestCount
    const jws = await run(everyAlgorithm, groups.jws, 'published')
    const jwk = await run(everyAlgorithm, groups.jwk, 'published')
    expect(server.requestCount).toBe(before)

    // rejectsEmptyString: an empty X-Signature is no signature at all.
    const empty = [13, 30, 45]
    expect(tabulate(groups.jws, jws.outcomes)).toEqual({
      ERR_TOKEN_MALFORMED: except(range(1, 401), empty),
      ERR_SIGNATURE_MISSING: empty,
    })
    expect(tabulate(groups.jwk, jwk.outcomes)).toEqual({ ERR_TOKEN_MALFORMED: range(1, 26) })

    // Why each valid vector is refused: its payload ("foo", zero bytes, RFC 7520 prose) is not a
    // JSON object; the emptyPayload vectors have an empty payload segment, and 372 and 373 a '?'
    // that is not base64url.
    const emptyPayload = [259, 264, 268, 272, 320, 325]
    expect(tabulate(groups.jws, jws.messages, isValid)).toEqual({
      'the token payload is not a JSON object': except(VALID.jws, emptyPayload, [372, 373]),
      'a token segment is empty or not strict base64url': [...emptyPayload, 372, 373],
    })
    expect(tabulate(groups.jwk, jwk.messages, isValid)).toEqual({
      'the token payload is not a JSON object': VALID.jwk,
    })
  })
})

describe('Wycheproof vectors carried over to webhook tokens, each keeping its own signature', () => {
  it('refuses every vector, each at the step its defect is in', async () => {
    const jws = await run(everyAlgorithm, groups.jws, 'kept')
    const jwk = await run(everyAlgorithm, groups.jwk, 'kept')
    // The empty string, lone segments and JSON serialization have no payload segment to replace.
    expect(jws.skipped).toEqual([12, 13, 17, 29, 30, 44, 45])
    expect(jwk.skipped).toEqual([])

    // A valid vector's signature covers its own payload, never the claim set put in its place.
    expect(tabulate(groups.jws, jws.outcomes, isValid)).toEqual({
      ...VALID_BUT_REFUSED.jws,
      ERR_SIGNATURE_INVALID: except(VALID.jws, ...Object.values(VALID_BUT_REFUSED.jws)),
    })
    expect(tabulate(groups.jwk, jwk.outcomes, isValid)).toEqual({
      ...VALID_BUT_REFUSED.jwk,
      ERR_SIGNATURE_INVALID: [5],
    })

    expect(tabulate(groups.jws, jws.outcomes, isInvalid)).toEqual({
      // HMAC tokens, and HS256 keyed with the EC public key (31, symmetry confusion).
      ERR_ALG_NOT_ALLOWED: [2, 5, 6, 8, 31, 367, ...range(368, 371), 374, 375],
      // Missing or extra segments, empty header or signature, alg none with an empty signature,
      // and characters outside base64url in the header or the signature.
      ERR_TOKEN_MALFORMED: [
        3,
        4,
        7,
        9,
        10,
        11,
        14,
        15,
        16,
        20,
        21,
        24,
        26,
        27,
        28,
        35,
        36,
        39,
        41,
        42,
        43,
        ...range(341, 344),
        ...range(360, 366),
      ],
      // Modified signatures and payloads, the attacker's embedded jwk (32), the RS256 ASN.1 and
      // padding mutations, the RSA-PSS mutations, PS512 tokens signed with another primitive, and
      // the ES256 special cases: r or s of 0, 1, n-1 or n, too long, trailing zeros, overflow.
      ERR_SIGNATURE_INVALID: [
        19,
        22,
        23,
        32,
        34,
        37,
        38,
        ...range(46, 258),
        ...range(276, 286),
        ...range(289, 319),
        324,
        329,
        330,
        331,
        333,
        335,
        337,
        339,
        ...range(379, 401),
      ],
      // The kid changed to one the JWKS does not have.
      ERR_KEY_NOT_FOUND: [25, 40],
      // RS256, RS384, RS512, PS256 and PS384 tokens naming the PS512 key; keys for encryption.
      ERR_KEY_UNUSABLE: [332, 334, 336, 338, 340, ...range(353, 356)],
    })
    expect(tabulate(groups.jwk, jwk.outcomes, isInvalid)).toEqual({
      ERR_ALG_NOT_ALLOWED: [1, 3, 4, 10, 11, 12, 16, 17, 18, 25, 26],
      ERR_KEY_UNUSABLE: [6, 7, 8, 9, ...range(19, 24)],
    })
  })
})

describe('Wycheproof vectors carried over to webhook tokens and re-signed with the group key', () => {
  it('accepts every valid vector when its algorithm is allowed, but for the listed exceptions', async () => {
    const jws = await run(everyAlgorithm, groups.jws, 're-signed')
    const jwk = await run(everyAlgorithm, groups.jwk, 're-signed')
    expect(tabulate(groups.jws, jws.outcomes, isValid)).toEqual({
      ...VALID_BUT_REFUSED.jws,
      accepted: except(VALID.jws, ...Object.values(VALID_BUT_REFUSED.jws)),
    })
    expect(tabulate(groups.jwk, jwk.outcomes, isValid)).toEqual({
      ...VALID_BUT_REFUSED.jwk,
      accepted: [5],
    })
  })

  it('accepts only the RS256 vectors under the default allow-list', async () => {
    const jws = await run(rs256Only, groups.jws, 're-signed')
    const jwk = await run(rs256Only, groups.jwk, 're-signed')
    expect(tabulate(groups.jws, jws.outcomes, isValid)).toEqual({
      accepted: [33, ...range(259, 263), 345, 349],
      ERR_ALG_NOT_ALLOWED: except(VALID.jws, [33, ...range(259, 263), 345, 349, 372]),
      ERR_TOKEN_MALFORMED: [372],
    })
    expect(tabulate(groups.jwk, jwk.outcomes, isValid)).toEqual({
      ERR_ALG_NOT_ALLOWED: [2, 13, 14, 15],
      accepted: [5],
    })
  })

  it('still refuses the invalid vectors whose header or key is at fault', async () => {
    const jws = await run(everyAlgorithm, groups.jws, 're-signed')
    const jwk = await run(everyAlgorithm, groups.jwk, 're-signed')
    const invalid = tabulate(groups.jws, jws.outcomes, isInvalid)
    // Re-signing replaces exactly the signature: where that was the only defect (or the payload,
    // which the carry-over replaces too), the token now verifies. That includes 32: the header's
    // embedded jwk is ignored, and the key comes from the JWKS.
    expect(invalid.accepted).toEqual([
      19,
      22,
      23,
      32,
      34,
      37,
      38,
      ...range(46, 258),
      ...range(276, 286),
      ...range(289, 319),
      324,
      329,
      330,
      331,
      333,
      335,
      337,
      339,
      ...range(379, 401),
    ])
    expect({ ...invalid, accepted: undefined }).toEqual({
      accepted: undefined,
      // HS256 however it is keyed, including with the EC public key (31).
      ERR_ALG_NOT_ALLOWED: [2, 5, 6, 8, 31, ...range(360, 364), ...range(367, 371), 374, 375],
      // alg none (16, 341-344) keeps its empty signature; so do the structural defects.
      ERR_TOKEN_MALFORMED: [
        3,
        4,
        7,
        9,
        10,
        11,
        14,
        15,
        16,
        20,
        21,
        24,
        26,
        27,
        28,
        35,
        36,
        39,
        41,
        42,
        43,
        ...range(341, 344),
        365,
        366,
      ],
      ERR_KEY_NOT_FOUND: [25, 40],
      // A genuine signature by the PS512 key under an RS256, RS384, RS512, PS256 or PS384 header,
      // and genuine signatures by keys whose use or key_ops is encryption.
      ERR_KEY_UNUSABLE: [332, 334, 336, 338, 340, ...range(353, 356)],
    })
    // Signed by the private key, the ROCA, 1024-bit and e=1 keys and the keys whose alg, curve or
    // use does not fit are still refused. (22-24 hold keys that do not import: their own
    // signatures are kept.)
    expect(tabulate(groups.jwk, jwk.outcomes, isInvalid)).toEqual({
      ERR_ALG_NOT_ALLOWED: [1, 3, 4, 10, 11, 12, 16, 17, 18, 25, 26],
      ERR_KEY_UNUSABLE: [6, 7, 8, 9, ...range(19, 24)],
    })
  })
})
