import { randomUUID, sign } from 'node:crypto'
import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, WEBHOOK_ERROR_STATUS, WebhookError } from '../src/index.js'
import type { HeadersInput, Verifier, WebhookRequest } from '../src/index.js'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { generateTestKey, jwksOf, segment, sha256Hex } from '@hookseal/test-support/test-keys'
import type { TestKey } from '@hookseal/test-support/test-keys'

/**
 * Property tests on the whole verifier, with a sender's JWKS on loopback: whatever arrives as the
 * signature header or the body, the answer is a verified webhook or a WebhookError whose status is
 * the one the status table gives its code, within a bounded time and without keeping memory; and no
 * mutation of a valid token or body is ever accepted.
 */

const SEED = Number(process.env.FC_SEED ?? 20_251_124)
const ISSUER = 'https://sender.example'
const AUDIENCE = 'https://receiver.example/webhooks'
/** Longest any one verification may take before the case counts as a hang. */
const DEADLINE_MS = 2000

let server: JwksServer
let ed: TestKey
let es: TestKey
let verifier: Verifier

beforeAll(async () => {
  ed = generateTestKey('EdDSA', 'ed-1')
  es = generateTestKey('ES256', 'es-1')
  server = await startJwksServer(jwksOf(ed, es))
  verifier = createVerifier({
    issuers: [
      {
        issuer: ISSUER,
        jwksUri: server.url,
        audience: AUDIENCE,
        algorithms: ['EdDSA', 'ES256'],
      },
    ],
    allowInsecureHttp: true,
  })
})

afterAll(() => server.close())

/** A valid webhook token for `body`, signed now with a fresh jti. */
function signedToken(key: TestKey, body: Uint8Array, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000)
  const input = `${segment({ alg: key.alg, kid: key.kid })}.${segment({
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    request_body_sha256: sha256Hex(body),
    ...claims,
  })}`
  const signature =
    key.alg === 'EdDSA'
      ? sign(null, Buffer.from(input), key.privateKey)
      : sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

type Verdict = { accepted: true } | { accepted: false; code: string }

/**
 * Verifies within the deadline. Resolves with the verdict; throws (failing the property) on any
 * error other than a WebhookError whose status matches the table, and on a hang.
 */
async function verdictOf(request: WebhookRequest): Promise<Verdict> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${DEADLINE_MS} ms`)), DEADLINE_MS)
  })
  try {
    await Promise.race([verifier.verify(request), deadline])
    return { accepted: true }
  } catch (error) {
    if (!(error instanceof WebhookError)) throw error
    expect(error.status).toBe(WEBHOOK_ERROR_STATUS[error.code])
    expect(error.statusCode).toBe(error.status)
    return { accepted: false, code: error.code }
  } finally {
    clearTimeout(timer)
  }
}

/** Header values: every kind of string, including huge ones and ones built around a real token. */
function headerValueArbitrary(): fc.Arbitrary<string> {
  const small = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 200 }),
    fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    fc.string({ unit: fc.constantFrom(...'eyJAZaz09-_.=+/ \t\r\n\0'), maxLength: 400 }),
  )
  const huge = fc
    .tuple(
      fc.string({
        unit: fc.constantFrom(...'A.  \t-_=\u00ff\u{1f4a9}'),
        minLength: 1,
        maxLength: 8,
      }),
      fc.integer({ min: 1 << 10, max: 1 << 21 }),
    )
    .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)))
  // A long run of one character between two others: linear work for a scan, quadratic for a
  // backtracking pattern anchored at the end.
  const longRun = fc
    .tuple(fc.constantFrom(' ', '\t', '.', '='), fc.integer({ min: 1 << 15, max: 1 << 16 }))
    .map(([char, length]) => `x${char.repeat(length)}x`)
  const aroundToken = fc
    .tuple(small, small, fc.constantFrom('prefix', 'suffix', 'both', 'inside'), fc.nat())
    .map(([a, b, where, at]) => {
      const token = signedToken(ed, Buffer.from('{}'))
      const i = at % token.length
      switch (where) {
        case 'prefix':
          return a + token
        case 'suffix':
          return token + b
        case 'both':
          return a + token + b
        case 'inside':
          return token.slice(0, i) + a + token.slice(i)
      }
    })
  return fc.oneof(
    { weight: 6, arbitrary: small },
    { weight: 1, arbitrary: huge },
    { weight: 1, arbitrary: longRun },
    { weight: 3, arbitrary: aroundToken },
  )
}

/** Bodies: empty, random, large, and JSON. */
function bodyArbitrary(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 2000 }),
    fc.json().map((text) => Buffer.from(text)),
    fc.integer({ min: 1 << 16, max: 1 << 22 }).map((size) => Buffer.alloc(size, 0x7b)),
  )
}

/** The same value in each header shape the verifier takes; a Fetch Headers only where legal. */
function headersArbitrary(value: string): fc.Arbitrary<HeadersInput> {
  const shapes: Array<fc.Arbitrary<HeadersInput>> = [
    fc.constant({ 'x-signature': value }),
    fc.constant({ 'X-Signature': [value] }),
    fc.constant(['Content-Type', 'application/json', 'X-Signature', value]),
  ]
  try {
    shapes.push(fc.constant(new Headers([['x-signature', value]])))
  } catch {
    // Not a legal field value for Fetch (control characters, code points above 255).
  }
  return fc.oneof(...shapes)
}

describe('the verifier on any header value and any body', () => {
  it('answers a verified webhook or a WebhookError with its table status, in bounded time', async () => {
    const codes = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(
        headerValueArbitrary().chain((value) =>
          fc.tuple(fc.constant(value), headersArbitrary(value), bodyArbitrary()),
        ),
        fc.constantFrom('POST', 'PUT', 'post', 'GET', ''),
        fc.constantFrom('/webhooks', AUDIENCE, 'http://[::1', '', '/\u0000'),
        async ([, headers, body], method, url) => {
          // verdictOf fails the property on a case that hangs.
          const verdict = await verdictOf({ method, url, headers, body })
          const label = verdict.accepted ? 'accepted' : verdict.code
          codes.set(label, (codes.get(label) ?? 0) + 1)
        },
      ),
      { numRuns: 400, seed: SEED },
    )
    // The cases reach every step: parsing, the size cap, the signature, and (around a real token,
    // where only whitespace was added) the body digest.
    expect([...codes.keys()]).toEqual(
      expect.arrayContaining([
        'ERR_TOKEN_MALFORMED',
        'ERR_TOKEN_TOO_LARGE',
        'ERR_SIGNATURE_INVALID',
        'ERR_BODY_DIGEST_MISMATCH',
      ]),
    )
  })

  it('verifies a valid token whatever body it is given only when the body is the signed one', async () => {
    await fc.assert(
      fc.asyncProperty(bodyArbitrary(), bodyArbitrary(), async (signedBody, sentBody) => {
        const token = signedToken(es, signedBody)
        const verdict = await verdictOf({
          method: 'POST',
          url: '/webhooks',
          headers: { 'x-signature': token },
          body: sentBody,
        })
        const same = Buffer.from(signedBody).equals(Buffer.from(sentBody))
        expect(verdict).toEqual(
          same ? { accepted: true } : { accepted: false, code: 'ERR_BODY_DIGEST_MISMATCH' },
        )
      }),
      { numRuns: 150, seed: SEED },
    )
  })
})

/** One change to a token: characters replaced, inserted, removed, moved, or segments rearranged. */
type TokenMutation =
  | { kind: 'replace'; at: number; char: string }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'case'; at: number }
  | { kind: 'segments'; order: number[] }

function tokenMutationArbitrary(): fc.Arbitrary<TokenMutation> {
  const chars = fc.constantFrom(...'AQgw09-_+/=.~ \t\n\u00e9\u{1f4a9}', 'A'.repeat(4))
  return fc.oneof(
    fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: chars }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: chars }),
    fc.record({
      kind: fc.constant('delete' as const),
      at: fc.nat(),
      count: fc.integer({ min: 1, max: 8 }),
    }),
    fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
    fc.record({ kind: fc.constant('case' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('segments' as const),
      order: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 4 }),
    }),
  )
}

function mutateToken(token: string, mutation: TokenMutation): string {
  const at = (i: number): number => i % token.length
  switch (mutation.kind) {
    case 'replace':
      return token.slice(0, at(mutation.at)) + mutation.char + token.slice(at(mutation.at) + 1)
    case 'insert':
      return token.slice(0, at(mutation.at)) + mutation.text + token.slice(at(mutation.at))
    case 'delete':
      return token.slice(0, at(mutation.at)) + token.slice(at(mutation.at) + mutation.count)
    case 'swap': {
      const chars = [...token]
      const [i, j] = [mutation.a % chars.length, mutation.b % chars.length]
      ;[chars[i], chars[j]] = [chars[j] as string, chars[i] as string]
      return chars.join('')
    }
    case 'case': {
      const i = at(mutation.at)
      const c = token[i] ?? ''
      const flipped = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()
      return token.slice(0, i) + flipped + token.slice(i + 1)
    }
    case 'segments': {
      const segments = token.split('.')
      return mutation.order.map((i) => segments[i] ?? '').join('.')
    }
  }
}

/** One change to a body: a bit flipped, bytes added or removed, or a whitespace re-serialisation. */
type BodyMutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'truncate'; count: number }
  | { kind: 'reformat' }

function bodyMutationArbitrary(): fc.Arbitrary<BodyMutation> {
  return fc.oneof(
    fc.record({
      kind: fc.constant('flip' as const),
      at: fc.nat(),
      bit: fc.integer({ min: 0, max: 7 }),
    }),
    fc.record({
      kind: fc.constant('append' as const),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
    }),
    fc.record({ kind: fc.constant('truncate' as const), count: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant('reformat' as const) }),
  )
}

function mutateBody(body: Buffer, mutation: BodyMutation): Buffer {
  switch (mutation.kind) {
    case 'flip': {
      const copy = Buffer.from(body)
      const i = mutation.at % copy.length
      copy[i] = (copy[i] ?? 0) ^ (1 << mutation.bit)
      return copy
    }
    case 'append':
      return Buffer.concat([body, mutation.bytes])
    case 'truncate':
      return body.subarray(0, Math.max(0, body.length - mutation.count))
    case 'reformat':
      // What a body parser that re-serialises would hand over: the same JSON, other bytes.
      return Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1))
  }
}

describe('mutations of a valid webhook', () => {
  const bodies = fc
    .json({ maxDepth: 2 })
    .filter((text) => text.startsWith('{') && text.length > 2)
    .map((text) => Buffer.from(text))

  it('never accepts a changed token, and accepts the unchanged one afterwards', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('ed', 'es'),
        bodies,
        tokenMutationArbitrary(),
        async (which, body, mutation) => {
          const token = signedToken(which === 'ed' ? ed : es, body)
          const mutated = mutateToken(token, mutation)
          fc.pre(mutated.replace(/^[ \t]+|[ \t]+$/g, '') !== token)
          const request = { method: 'POST', url: '/webhooks', body }
          const changed = await verdictOf({ ...request, headers: { 'x-signature': mutated } })
          expect(changed.accepted).toBe(false)
          const original = await verdictOf({ ...request, headers: { 'x-signature': token } })
          expect(original).toEqual({ accepted: true })
        },
      ),
      { numRuns: 800, seed: SEED },
    )
  })

  it('never accepts a changed body, and accepts the unchanged one afterwards', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, bodyMutationArbitrary(), async (body, mutation) => {
        const mutated = mutateBody(body, mutation)
        fc.pre(!mutated.equals(body))
        const headers = { 'x-signature': signedToken(ed, body) }
        const changed = await verdictOf({
          method: 'POST',
          url: '/webhooks',
          headers,
          body: mutated,
        })
        expect(changed).toEqual({ accepted: false, code: 'ERR_BODY_DIGEST_MISMATCH' })
        const original = await verdictOf({ method: 'POST', url: '/webhooks', headers, body })
        expect(original).toEqual({ accepted: true })
      }),
      { numRuns: 500, seed: SEED },
    )
  })
})

describe('memory', () => {
  it('keeps nothing of refused requests: the heap is back where it was after 300 large ones', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const used = (): number => {
      gc()
      gc()
      return process.memoryUsage().heapUsed
    }
    const header = `${'A'.repeat(1 << 20)}.${'B'.repeat(1 << 10)}.C`
    const body = Buffer.alloc(1 << 20, 0x20)
    // Warm up once, so that lazily compiled code and the JWKS cache are in the baseline.
    await verdictOf({ method: 'POST', url: '/', headers: { 'x-signature': header }, body })
    await verdictOf({
      method: 'POST',
      url: '/',
      headers: { 'x-signature': signedToken(ed, body) },
      body,
    })
    const before = used()
    for (let i = 0; i < 300; i++) {
      const value = i % 3 === 0 ? header : i % 3 === 1 ? `${header}${i}` : signedToken(ed, body)
      const verdict = await verdictOf({
        method: 'POST',
        url: '/',
        headers: { 'x-signature': value },
        body: i % 3 === 2 ? Buffer.concat([body, Buffer.from([i])]) : body,
      })
      expect(verdict.accepted).toBe(false)
    }
    const growth = used() - before
    // 300 refused requests of 1 MiB or more each: what stays is noise, not their inputs.
    expect(growth).toBeLessThan(8 << 20)
  })
})
