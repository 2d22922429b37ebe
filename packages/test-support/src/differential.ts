/**
 * The differential comparison of hookseal's verifier with `jose.jwtVerify`: the token generator,
 * the classes of known disagreement, and a harness holding both verifiers over one loopback JWKS.
 * Shared by the in-suite run (`differential.test.ts`) and the long run (`pnpm fuzz`).
 */
import { constants, createHmac, sign } from 'node:crypto'
import fc from 'fast-check'
import { createLocalJWKSet, jwtVerify } from 'jose'
import type { JWTVerifyOptions } from 'jose'
import { createVerifier } from '@hookseal/core'
import type { SignatureAlgorithm, WebhookErrorCode } from '@hookseal/core'
import { startJwksServer } from './jwks-server.js'
import { verdictOf } from './verdict.js'
import { generateTestKey, sha256Hex } from './test-keys.js'
import type { TestKey } from './test-keys.js'

export const ISSUER = 'https://sender.example'
export const AUDIENCE = 'https://receiver.example/webhooks'
export const BODY = Buffer.from('{"event":"invoice.paid","amount":4200}')
const DIGEST = sha256Hex(BODY)
export const ALGORITHMS: SignatureAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA']
const BOM = Buffer.from([0xef, 0xbb, 0xbf])

/** A fixed seed keeps runs reproducible; FC_SEED replays or explores another. */
export function seedFrom(value: string | undefined): number {
  if (value === undefined) return 20_251_122
  const seed = Number(value)
  if (!Number.isSafeInteger(seed)) throw new TypeError(`FC_SEED must be an integer, not ${value}`)
  return seed
}

/** One generated token, with labels saying how it was made. */
export interface Case {
  readonly token: string
  readonly tags: readonly string[]
}

/**
 * Why hookseal may refuse a token that jose accepts. Every disagreement must match one of these
 * (by hookseal's error code first, then the predicate); anything else fails the test, and so does
 * a class that a run never reaches.
 */
export interface DisagreementClass {
  readonly id: string
  readonly code: WebhookErrorCode
  readonly reason: string
  readonly matches: (c: Case) => boolean
}

function segmentsOf(token: string): string[] {
  return token.split('.')
}

/** Lenient decoding, for classifying only: whitespace and padding dropped, a BOM kept. */
function looseBytes(segment: string | undefined): Buffer {
  return Buffer.from((segment ?? '').replace(/[\s=]/g, ''), 'base64url')
}

function looseJson(segment: string | undefined): Record<string, unknown> {
  try {
    const text = looseBytes(segment)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

const headerOf = (c: Case): Record<string, unknown> => looseJson(segmentsOf(c.token)[0])
const payloadOf = (c: Case): Record<string, unknown> => looseJson(segmentsOf(c.token)[1])

export const DISAGREEMENTS: readonly DisagreementClass[] = [
  {
    id: 'base64-padding',
    code: 'ERR_TOKEN_MALFORMED',
    reason: "a segment ends in '=' padding: jose decodes with atob, which accepts it",
    matches: (c) => c.token.includes('='),
  },
  {
    id: 'base64-whitespace',
    code: 'ERR_TOKEN_MALFORMED',
    reason: 'whitespace inside a segment: atob skips ASCII whitespace',
    matches: (c) => /[\t\n\f\r ]/.test(c.token),
  },
  {
    id: 'base64-non-canonical',
    code: 'ERR_TOKEN_MALFORMED',
    reason: 'non-zero unused bits in the last character of a segment: atob drops them',
    matches: (c) =>
      segmentsOf(c.token).some(
        (s) => /^[\w-]*$/.test(s) && Buffer.from(s, 'base64url').toString('base64url') !== s,
      ),
  },
  {
    id: 'json-bom',
    code: 'ERR_TOKEN_MALFORMED',
    reason: "header or payload starts with a UTF-8 BOM: jose's TextDecoder strips it",
    matches: (c) =>
      segmentsOf(c.token)
        .slice(0, 2)
        .some((s) => looseBytes(s).subarray(0, 3).equals(BOM)),
  },
  {
    id: 'json-duplicate-member',
    code: 'ERR_TOKEN_MALFORMED',
    reason: 'a member name repeats in header or payload: JSON.parse in jose keeps the last one',
    matches: (c) => c.tags.includes('duplicate-member'),
  },
  {
    id: 'kid-missing',
    code: 'ERR_KID_MISSING',
    reason: 'no kid: jose picks the one JWKS key that fits the alg',
    matches: (c) => headerOf(c).kid === undefined,
  },
  {
    id: 'crit-b64',
    code: 'ERR_CRIT_UNSUPPORTED',
    reason: 'crit ["b64"] with b64 true: jose implements b64, hookseal refuses any crit',
    matches: (c) => JSON.stringify(headerOf(c).crit) === '["b64"]' && headerOf(c).b64 === true,
  },
  {
    id: 'non-finite-numeric-date',
    code: 'ERR_CLAIM_INVALID',
    reason: 'exp or nbf of ±1e400 parses to ±Infinity, which jose compares as a number',
    matches: (c) =>
      ['exp', 'nbf'].some((claim) => {
        const value = payloadOf(c)[claim]
        return typeof value === 'number' && !Number.isFinite(value)
      }),
  },
  {
    id: 'jti-not-a-non-empty-string',
    code: 'ERR_CLAIM_INVALID',
    reason: 'jti present but empty or not a string: jose does not look at jti',
    matches: (c) => {
      const { jti } = payloadOf(c)
      return jti !== undefined && (typeof jti !== 'string' || jti === '')
    },
  },
  {
    id: 'token-too-large',
    code: 'ERR_TOKEN_TOO_LARGE',
    reason: 'token over 8192 characters: jose has no size cap',
    matches: (c) => c.token.length > 8192,
  },
]

/** The known classes that explain hookseal's refusal of a token jose accepts. */
export function explanations(code: WebhookErrorCode, c: Case): DisagreementClass[] {
  return DISAGREEMENTS.filter((known) => known.code === code && known.matches(c))
}

export const SEVERAL = 'several of the above at once'

export type Verdict =
  { accepted: true } | { accepted: false; code: WebhookErrorCode; message: string }

// Claims and headers the pool is built from, so that every check on both sides gets exercised.
function claimVariants(now: number): Record<string, Record<string, unknown>> {
  const valid = { iss: ISSUER, aud: AUDIENCE, iat: now - 5, exp: now + 300 }
  const withDigest = { ...valid, request_body_sha256: DIGEST }
  const without = (claim: string): Record<string, unknown> =>
    Object.fromEntries(Object.entries(withDigest).filter(([name]) => name !== claim))
  return {
    valid: withDigest,
    'valid-no-digest': valid,
    'valid-jti': { ...withDigest, jti: 'evt-0001' },
    'valid-aud-array': { ...withDigest, aud: ['https://other.example', AUDIENCE] },
    'valid-nbf-past': { ...withDigest, nbf: now - 60 },
    'valid-iat-slightly-ahead': { ...withDigest, iat: now + 10 },
    'valid-fractional-dates': { ...withDigest, iat: now - 10.5, exp: now + 299.5 },
    'valid-request-target': { ...withDigest, htm: 'POST', htu: AUDIENCE },
    'valid-extra-claims': { ...withDigest, tenant: 't-1', ext: { roles: ['billing'] } },
    'exp-just-passed': { ...withDigest, exp: now - 5 },
    expired: { ...withDigest, iat: now - 200, exp: now - 100 },
    'not-yet-valid': { ...withDigest, nbf: now + 600 },
    'issued-in-future': { ...withDigest, iat: now + 600, exp: now + 900 },
    'too-old': { ...withDigest, iat: now - 1000 },
    'wrong-audience': { ...withDigest, aud: 'https://elsewhere.example' },
    'wrong-issuer': { ...withDigest, iss: 'https://impostor.example' },
    'missing-exp': without('exp'),
    'missing-iat': without('iat'),
    'missing-aud': without('aud'),
    'empty-jti': { ...withDigest, jti: '' },
    'numeric-jti': { ...withDigest, jti: 42 },
    'exp-as-string': { ...withDigest, exp: String(now + 300) },
  }
}

function headerVariants(key: TestKey): Record<string, Record<string, unknown>> {
  const base = { alg: key.alg, kid: key.kid }
  return {
    default: base,
    'no-kid': { alg: key.alg },
    'unknown-kid': { ...base, kid: 'retired-2019' },
    'numeric-kid': { ...base, kid: 7 },
    'empty-kid': { ...base, kid: '' },
    'long-kid': { ...base, kid: 'k'.repeat(300) },
    'typ-jwt': { ...base, typ: 'JWT' },
    'typ-custom': { ...base, typ: 'webhook+jwt' },
    'crit-b64': { ...base, crit: ['b64'], b64: true },
    'crit-unknown': { ...base, crit: ['exp'], exp: 1 },
    'crit-empty': { ...base, crit: [] },
    'b64-false-not-critical': { ...base, b64: false },
    jku: { ...base, jku: 'https://attacker.example/jwks.json' },
    'embedded-jwk': { ...base, jwk: key.jwk },
    x5u: { ...base, x5u: 'https://attacker.example/cert.pem' },
    'extra-member': { ...base, 'x-trace': 'abc' },
  }
}

const HEADER_EDITS = [
  'none',
  'duplicate-alg',
  'duplicate-kid',
  'whitespace',
  'unicode-escape',
  'bom',
  'invalid-utf8',
  'lone-surrogate',
] as const
const PAYLOAD_EDITS = [
  'none',
  'duplicate-exp',
  'duplicate-aud',
  'duplicate-nested',
  'whitespace',
  'unicode-escape',
  'bom',
  'invalid-utf8',
  'lone-surrogate',
  'exp-infinity',
  'nbf-minus-infinity',
  'big-claim',
] as const
type JsonEdit = (typeof HEADER_EDITS)[number] | (typeof PAYLOAD_EDITS)[number]

/** JSON text of `value` with one edit that JSON.stringify would never make. */
function editedJson(value: Record<string, unknown>, edit: JsonEdit): Buffer {
  const text = JSON.stringify(value)
  const prepend = (member: string): Buffer => Buffer.from(`{${member},${text.slice(1)}`)
  switch (edit) {
    case 'none':
      return Buffer.from(text)
    case 'duplicate-alg':
      return prepend('"alg":"none"')
    case 'duplicate-kid':
      return prepend('"kid":"retired-2019"')
    case 'duplicate-exp':
      return prepend('"exp":0')
    case 'duplicate-aud':
      return prepend('"aud":"https://elsewhere.example"')
    case 'duplicate-nested':
      return prepend('"ext":{"tier":1,"tier":2}')
    case 'whitespace':
      return Buffer.from(JSON.stringify(value, null, '\t'))
    case 'unicode-escape':
      return Buffer.from(
        text.replace(/^\{"(\w)/, (_, c: string) => `{"\\u00${c.charCodeAt(0).toString(16)}`),
      )
    case 'bom':
      return Buffer.concat([BOM, Buffer.from(text)])
    case 'invalid-utf8':
      return Buffer.concat([
        Buffer.from('{"note":"'),
        Buffer.from([0xff]),
        Buffer.from(`",${text.slice(1)}`),
      ])
    case 'lone-surrogate':
      return prepend('"note":"\\ud800"')
    case 'exp-infinity':
      return Buffer.from(text.replace(/"exp":[-\d.e+]+/, '"exp":1e400'))
    case 'nbf-minus-infinity':
      return value.nbf === undefined
        ? prepend('"nbf":-1e400')
        : Buffer.from(text.replace(/"nbf":[-\d.e+]+/, '"nbf":-1e400'))
    case 'big-claim':
      return prepend(`"padding":"${'x'.repeat(7000)}"`)
  }
}

const DUPLICATED_MEMBER: Partial<Record<JsonEdit, string>> = {
  'duplicate-alg': 'alg',
  'duplicate-kid': 'kid',
  'duplicate-exp': 'exp',
  'duplicate-aud': 'aud',
}

/** Tags for an edit, with `duplicate-member` only when the edit really repeats a member name. */
function editTags(part: string, value: Record<string, unknown>, edit: JsonEdit): string[] {
  const member = DUPLICATED_MEMBER[edit]
  const repeats = edit === 'duplicate-nested' || (member !== undefined && member in value)
  return repeats ? [`${part}-${edit}`, 'duplicate-member'] : [`${part}-${edit}`]
}

const ENCODINGS = ['canonical', 'padded', 'non-canonical', 'whitespace'] as const
type Encoding = (typeof ENCODINGS)[number]

/** base64url of `bytes`, optionally in one of the forms RFC 7515 forbids but atob accepts. */
function encodeSegment(bytes: Buffer, encoding: Encoding): string {
  const canonical = bytes.toString('base64url')
  const tail = canonical.length % 4
  switch (encoding) {
    case 'canonical':
      return canonical
    case 'padded':
      return tail === 0 ? canonical : canonical + '='.repeat(4 - tail)
    case 'non-canonical':
      return tail === 0 ? canonical : setLowestBitOfLastChar(canonical)
    case 'whitespace':
      return `${canonical.slice(0, 8)} ${canonical.slice(8)}`
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** The last character of an unpadded segment has unused low bits; setting one keeps the bytes. */
function setLowestBitOfLastChar(segment: string): string {
  const last = ALPHABET.indexOf(segment.at(-1) ?? 'A')
  return segment.slice(0, -1) + (ALPHABET[last | 1] ?? '')
}

function signatureOf(key: TestKey, signingInput: string): string {
  const data = Buffer.from(signingInput, 'ascii')
  const privateKey = key.privateKey
  switch (key.alg) {
    case 'RS256':
      return sign('sha256', data, privateKey).toString('base64url')
    case 'PS256':
      return sign('sha256', data, {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      }).toString('base64url')
    case 'ES256':
      return sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString(
        'base64url',
      )
    case 'EdDSA':
      return sign(null, data, privateKey).toString('base64url')
  }
}

/** Signs exactly the segments given, however they are encoded. */
function signSegments(key: TestKey, header: string, payload: string): string {
  return `${header}.${payload}.${signatureOf(key, `${header}.${payload}`)}`
}

function signJson(key: TestKey, header: object, payload: object): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return signSegments(key, encode(header), encode(payload))
}

/** Mutations of an existing token that keep its signature bytes where they can. */
type Mutation =
  | { kind: 'none' }
  | { kind: 'replace-char'; segment: number; at: number; char: string }
  | { kind: 'pad'; segment: number; count: number }
  | { kind: 'standard-alphabet'; segment: number }
  | { kind: 'truncate'; segment: number; count: number }
  | { kind: 'extend'; segment: number; text: string }
  | { kind: 'drop-segment'; segment: number }
  | { kind: 'append-segment'; text: string }
  | { kind: 'swap-signature'; from: number }
  | { kind: 'non-canonical-tail'; segment: number }
  | { kind: 'whitespace'; segment: number; at: number; char: string }
  | { kind: 'set-header'; member: 'alg' | 'kid'; value: string | undefined }
  | { kind: 're-encode'; part: 0 | 1; edit: JsonEdit }

function mutate(token: string, mutation: Mutation, pool: readonly Case[]): string {
  const segments = segmentsOf(token)
  const at = (index: number, position: number): number =>
    position % ((segments[index] ?? '').length + 1)
  const replace = (index: number, next: (segment: string) => string): string =>
    segments.map((s, i) => (i === index ? next(s) : s)).join('.')
  switch (mutation.kind) {
    case 'none':
      return token
    case 'replace-char': {
      const i = at(mutation.segment, mutation.at)
      return replace(mutation.segment, (s) => s.slice(0, i) + mutation.char + s.slice(i + 1))
    }
    case 'pad':
      return replace(mutation.segment, (s) => s + '='.repeat(mutation.count))
    case 'standard-alphabet':
      return replace(mutation.segment, (s) => s.replace(/-/g, '+').replace(/_/g, '/'))
    case 'truncate':
      return replace(mutation.segment, (s) => s.slice(0, Math.max(0, s.length - mutation.count)))
    case 'extend':
      return replace(mutation.segment, (s) => s + mutation.text)
    case 'drop-segment':
      return segments.filter((_, i) => i !== mutation.segment).join('.')
    case 'append-segment':
      return `${token}.${mutation.text}`
    case 'swap-signature': {
      const other = segmentsOf(pool[mutation.from % pool.length]?.token ?? '')[2] ?? ''
      return replace(2, () => other)
    }
    case 'non-canonical-tail':
      return replace(mutation.segment, (s) => (s.length % 4 === 0 ? s : setLowestBitOfLastChar(s)))
    case 'whitespace': {
      const i = at(mutation.segment, mutation.at)
      return replace(mutation.segment, (s) => s.slice(0, i) + mutation.char + s.slice(i))
    }
    case 'set-header': {
      const header = looseJson(segments[0])
      if (mutation.value === undefined) delete header[mutation.member]
      else header[mutation.member] = mutation.value
      return replace(0, () => Buffer.from(JSON.stringify(header)).toString('base64url'))
    }
    case 're-encode': {
      const part = looseJson(segments[mutation.part])
      return replace(mutation.part, () => editedJson(part, mutation.edit).toString('base64url'))
    }
  }
}

function mutationArbitrary(poolSize: number): fc.Arbitrary<Mutation> {
  const segment = fc.constantFrom(0, 1, 2, 2)
  const position = fc.nat({ max: 400 })
  const chars = fc.constantFrom(...'AQgw09_-+/=.,? \n~Zz')
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant({ kind: 'none' as const }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('replace-char' as const),
        segment,
        at: position,
        char: chars,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('pad' as const),
        segment,
        count: fc.constantFrom(1, 2),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('standard-alphabet' as const), segment }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('truncate' as const),
        segment,
        count: fc.integer({ min: 1, max: 5 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('extend' as const),
        segment,
        text: fc.constantFrom('A', 'AA', 'AAA', 'AAAA', '_-_-'),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop-segment' as const), segment }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('append-segment' as const),
        text: fc.constantFrom('', 'e30', 'AAAA'),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('swap-signature' as const),
        from: fc.nat({ max: poolSize - 1 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('non-canonical-tail' as const), segment }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('whitespace' as const),
        segment,
        at: position,
        char: fc.constantFrom(' ', '\t', '\n', '\r'),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.record({
          kind: fc.constant('set-header' as const),
          member: fc.constant('alg' as const),
          value: fc.constantFrom(
            'none',
            'None',
            'NONE',
            'nOnE',
            'HS256',
            'rs256',
            'RS256',
            'PS256',
            'ES256',
            'EdDSA',
          ),
        }),
        fc.record({
          kind: fc.constant('set-header' as const),
          member: fc.constant('kid' as const),
          value: fc.constantFrom(
            undefined,
            'rs',
            'ps',
            'es',
            'ed',
            'weak',
            'enc',
            '../../dev/null',
            "x' OR '1'='1",
          ),
        }),
      ),
    },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.record({
          kind: fc.constant('re-encode' as const),
          part: fc.constant(0 as const),
          edit: fc.constantFrom(...HEADER_EDITS),
        }),
        fc.record({
          kind: fc.constant('re-encode' as const),
          part: fc.constant(1 as const),
          edit: fc.constantFrom(...PAYLOAD_EDITS),
        }),
      ),
    },
  )
}

/** How one case came out: agreement, a known class of disagreement, or a finding. */
export type Comparison =
  | { kind: 'both accepted' }
  | { kind: 'both refused' }
  /** hookseal refused a token jose accepts, for the reason `id` (or {@link SEVERAL}). */
  | { kind: 'known'; id: string }
  /** hookseal accepted a token jose refuses, or refused one for no known reason, or crashed. */
  | { kind: 'unexplained'; detail: string; hookseal: Verdict | 'crashed'; jose: boolean }

/** Both verifiers over one loopback JWKS, and the generator of tokens to compare them on. */
export interface DifferentialHarness {
  /** Tokens signed up front, re-signed by {@link DifferentialHarness.resign}. */
  readonly pool: readonly Case[]
  /**
   * Signs the pool again with time claims relative to now. A long run calls it every few seconds,
   * so that no time claim crosses a validity boundary between the two verifiers' calls.
   */
  resign(): void
  /** Generates pool mutations, fresh tokens and mutated fresh tokens; valid until the next resign. */
  caseArbitrary(): fc.Arbitrary<Case>
  verifyWithHookseal(token: string): Promise<Verdict>
  verifyWithJose(token: string): Promise<boolean>
  compare(c: Case): Promise<Comparison>
  close(): Promise<void>
}

/** Starts the JWKS endpoint, generates the keys and signs the first pool. */
export async function createDifferentialHarness(): Promise<DifferentialHarness> {
  const keys = {
    rs: generateTestKey('RS256', 'rs'),
    ps: generateTestKey('PS256', 'ps'),
    es: generateTestKey('ES256', 'es'),
    ed: generateTestKey('EdDSA', 'ed'),
    weak: generateTestKey('RS256', 'weak', 1024),
    enc: generateTestKey('RS256', 'enc'),
  }
  const jwks = {
    keys: [
      keys.rs.jwk,
      keys.ps.jwk,
      keys.es.jwk,
      keys.ed.jwk,
      keys.weak.jwk,
      { ...keys.enc.jwk, alg: undefined, use: 'enc' },
    ],
  }
  const server = await startJwksServer(jwks)
  const verifier = createVerifier({
    issuers: [
      {
        issuer: ISSUER,
        jwksUri: server.url,
        audience: AUDIENCE,
        algorithms: ALGORITHMS,
        bodyDigest: 'optional',
        replay: false,
      },
    ],
    allowInsecureHttp: true,
  })
  const joseKeys = createLocalJWKSet(JSON.parse(JSON.stringify(jwks)) as typeof jwks)
  const joseOptions: JWTVerifyOptions = {
    algorithms: ALGORITHMS,
    issuer: ISSUER,
    audience: AUDIENCE,
    clockTolerance: 30,
    maxTokenAge: 300,
    requiredClaims: ['exp', 'iat'],
  }
  const signing = [keys.rs, keys.ps, keys.es, keys.ed]
  const freshSigners = [keys.es, keys.ed]
  const allKeys = Object.values(keys)
  const pool: Case[] = []
  let claims: Record<string, Record<string, unknown>> = {}

  function resign(): void {
    claims = claimVariants(Math.floor(Date.now() / 1000))
    pool.length = 0
    for (const key of signing) {
      const headers = headerVariants(key)
      for (const [claimsName, payload] of Object.entries(claims)) {
        for (const headerName of ['default', 'no-kid']) {
          const token = signJson(key, headers[headerName] ?? {}, payload)
          pool.push({ token, tags: [key.kid, headerName, claimsName] })
        }
      }
      for (const [headerName, header] of Object.entries(headers)) {
        pool.push({
          token: signJson(key, header, claims.valid ?? {}),
          tags: [key.kid, headerName, 'valid'],
        })
      }
    }
    for (const key of [keys.weak, keys.enc]) {
      const headers = { default: { alg: 'RS256', kid: key.kid }, 'no-kid': { alg: 'RS256' } }
      for (const [headerName, header] of Object.entries(headers)) {
        pool.push({
          token: signJson(key, header, claims.valid ?? {}),
          tags: [key.kid, headerName, 'valid'],
        })
      }
    }
  }

  function freshArbitrary(): fc.Arbitrary<Case> {
    const signed = fc
      .record({
        signer: fc.constantFrom(...freshSigners),
        claimsName: fc.constantFrom(...Object.keys(claims)),
        headerName: fc.constantFrom(...Object.keys(headerVariants(keys.es))),
        headerEdit: fc.constantFrom(...HEADER_EDITS, 'none', 'none'),
        payloadEdit: fc.constantFrom(...PAYLOAD_EDITS, 'none', 'none'),
        headerEncoding: fc.constantFrom(...ENCODINGS, 'canonical', 'canonical'),
        payloadEncoding: fc.constantFrom(...ENCODINGS, 'canonical', 'canonical'),
      })
      .map(
        ({
          signer,
          claimsName,
          headerName,
          headerEdit,
          payloadEdit,
          headerEncoding,
          payloadEncoding,
        }) => {
          const header = headerVariants(signer)[headerName] ?? {}
          const payload = claims[claimsName] ?? {}
          const token = signSegments(
            signer,
            encodeSegment(editedJson(header, headerEdit), headerEncoding),
            encodeSegment(editedJson(payload, payloadEdit), payloadEncoding),
          )
          return {
            token,
            tags: [
              'fresh',
              signer.kid,
              headerName,
              claimsName,
              ...editTags('header', header, headerEdit),
              ...editTags('payload', payload, payloadEdit),
              `header-${headerEncoding}`,
              `payload-${payloadEncoding}`,
            ],
          }
        },
      )
    const unsigned = fc
      .record({
        alg: fc.constantFrom('none', 'None', 'NONE', 'HS256'),
        key: fc.constantFrom(...allKeys),
        claimsName: fc.constantFrom(...Object.keys(claims)),
        secret: fc.constantFrom('pem', 'jwk', 'empty'),
        signature: fc.constantFrom('', 'AAAA', 'sig'),
      })
      .map(({ alg, key, claimsName, secret, signature }) => {
        const encode = (value: object): string =>
          Buffer.from(JSON.stringify(value)).toString('base64url')
        const input = `${encode({ alg, kid: key.kid })}.${encode(claims[claimsName] ?? {})}`
        // HS256 keyed with the sender's public key, the classic key-confusion forgery.
        const hmacKey =
          secret === 'pem'
            ? key.publicKey.export({ format: 'pem', type: 'spki' })
            : secret === 'jwk'
              ? JSON.stringify(key.jwk)
              : ''
        const mac = createHmac('sha256', hmacKey).update(input).digest('base64url')
        return {
          token: `${input}.${alg === 'HS256' ? mac : signature}`,
          tags: ['fresh', alg, secret, claimsName],
        }
      })
    return fc.oneof({ weight: 5, arbitrary: signed }, { weight: 1, arbitrary: unsigned })
  }

  function caseArbitrary(): fc.Arbitrary<Case> {
    const snapshot = [...pool]
    const mutated = fc
      .record({
        base: fc.nat({ max: snapshot.length - 1 }),
        mutation: mutationArbitrary(snapshot.length),
      })
      .map(({ base, mutation }) => {
        const original = snapshot[base] as Case
        return {
          token: mutate(original.token, mutation, snapshot),
          tags: [...original.tags, mutation.kind],
        }
      })
    const freshThenMutated = fc
      .record({ fresh: freshArbitrary(), mutation: mutationArbitrary(snapshot.length) })
      .map(({ fresh, mutation }) => ({
        token: mutate(fresh.token, mutation, snapshot),
        tags: [...fresh.tags, mutation.kind],
      }))
    return fc.oneof(
      { weight: 6, arbitrary: mutated },
      { weight: 3, arbitrary: freshArbitrary() },
      { weight: 1, arbitrary: freshThenMutated },
    )
  }

  async function verifyWithHookseal(token: string): Promise<Verdict> {
    const verdict = await verdictOf(verifier, token, BODY)
    if (verdict.accepted) return { accepted: true }
    return { accepted: false, code: verdict.error.code, message: verdict.error.message }
  }

  // jose gets the field value as HTTP delivers it: leading and trailing whitespace is not part of a
  // field value (RFC 9110, section 5.5), and hookseal trims it too.
  function verifyWithJose(token: string): Promise<boolean> {
    return jwtVerify(token.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, ''), joseKeys, joseOptions).then(
      () => true,
      () => false,
    )
  }

  async function compare(c: Case): Promise<Comparison> {
    let hookseal: Verdict
    try {
      hookseal = await verifyWithHookseal(c.token)
    } catch (error) {
      const detail = `hookseal threw ${(error as Error)?.name}: ${(error as Error)?.message}`
      return {
        kind: 'unexplained',
        detail,
        hookseal: 'crashed',
        jose: await verifyWithJose(c.token),
      }
    }
    const jose = await verifyWithJose(c.token)
    if (hookseal.accepted) {
      return jose
        ? { kind: 'both accepted' }
        : { kind: 'unexplained', detail: 'hookseal accepted a token jose refuses', hookseal, jose }
    }
    if (!jose) return { kind: 'both refused' }
    const known = explanations(hookseal.code, c)
    if (known.length === 0) {
      const detail = `unexplained refusal ${hookseal.code} (${hookseal.message}) of a token jose accepts`
      return { kind: 'unexplained', detail, hookseal, jose }
    }
    // A class counts as reached only by tokens it alone explains.
    return { kind: 'known', id: known.length === 1 ? (known[0] as DisagreementClass).id : SEVERAL }
  }

  resign()
  return {
    pool,
    resign,
    caseArbitrary,
    verifyWithHookseal,
    verifyWithJose,
    compare,
    close: () => server.close(),
  }
}

/** Tallies comparisons by outcome, in the order a report lists them. */
export class ComparisonCounts {
  readonly #counts = new Map<string, number>()
  total = 0

  add(comparison: Comparison): void {
    this.total++
    const key =
      comparison.kind === 'known'
        ? comparison.id
        : comparison.kind === 'unexplained'
          ? 'unexplained'
          : comparison.kind
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1)
  }

  get(key: string): number {
    return this.#counts.get(key) ?? 0
  }

  /** Known classes that no case reached on its own. */
  unreached(): DisagreementClass[] {
    return DISAGREEMENTS.filter((d) => this.get(d.id) === 0)
  }

  /** One line per outcome: count, name, and the reason for each known class. */
  report(): string[] {
    const rows: Array<[string, number, string]> = [
      ['both accepted', this.get('both accepted'), ''],
      ['both refused', this.get('both refused'), ''],
      ...DISAGREEMENTS.map((d): [string, number, string] => [
        `${d.code} ${d.id}`,
        this.get(d.id),
        d.reason,
      ]),
      [SEVERAL, this.get(SEVERAL), ''],
      ['unexplained', this.get('unexplained'), ''],
    ]
    const width = String(this.total).length
    return rows.map(([name, n, reason]) =>
      `  ${String(n).padStart(width)}  ${name}  ${reason}`.trimEnd(),
    )
  }
}
