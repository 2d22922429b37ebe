import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { decodeBase64Url } from '../src/lib/base64url.js'
import { MalformedTokenError, parseCompactJws } from '../src/lib/parse-compact-jws.js'
import { parseJsonObject } from '../src/lib/parse-json-object.js'

/**
 * Property tests on the parsing steps the verifier runs on attacker-chosen bytes before any key is
 * used. Each must either decode or refuse, never throw anything else, and never accept what its
 * strict rules forbid.
 */

const SEED = Number(process.env.FC_SEED ?? 20_251_123)

/** Strings of every kind an HTTP stack or a JS caller might hand over. */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.string({ unit: fc.constantFrom(...'AZaz09-_+/=. \t\n\r?'), maxLength: 300 }),
)

/** Bytes that are sometimes JSON: random, JSON text, and JSON text with one byte changed. */
const jsonishBytes = fc.oneof(
  fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
  fc.json({ maxDepth: 4 }).map((text) => Buffer.from(text)),
  fc
    .tuple(fc.json({ maxDepth: 4 }), fc.nat(), fc.integer({ min: 0, max: 255 }))
    .map(([text, at, byte]) => {
      const bytes = Buffer.from(text)
      if (bytes.length > 0) bytes[at % bytes.length] = byte
      return bytes
    }),
)

describe('decodeBase64Url on any string', () => {
  it('returns bytes whose canonical base64url is the input, or undefined; never throws', () => {
    fc.assert(
      fc.property(anyString, (input) => {
        const bytes = decodeBase64Url(input)
        if (bytes !== undefined) expect(bytes.toString('base64url')).toBe(input)
      }),
      { numRuns: 3000, seed: SEED },
    )
  })

  it('decodes every canonical encoding back to its bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const encoded = Buffer.from(bytes).toString('base64url')
        expect(decodeBase64Url(encoded)?.equals(Buffer.from(bytes))).toBe(true)
      }),
      { numRuns: 1000, seed: SEED },
    )
  })
})

describe('parseJsonObject on any bytes', () => {
  it('returns a plain object equal to what JSON.parse reads from valid UTF-8, or undefined', () => {
    const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
    fc.assert(
      fc.property(jsonishBytes, (bytes) => {
        const parsed = parseJsonObject(bytes)
        if (parsed === undefined) return
        const value: unknown = JSON.parse(utf8.decode(bytes))
        expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true)
        expect(parsed).toEqual(value)
      }),
      { numRuns: 3000, seed: SEED },
    )
  })

  it('accepts every object JSON.stringify writes, and refuses it once a member name repeats', () => {
    const objects = fc.dictionary(
      fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.jsonValue({ maxDepth: 3 }),
      { minKeys: 1, maxKeys: 6 },
    )
    fc.assert(
      fc.property(objects, fc.nat(), fc.boolean(), (object, pick, escaped) => {
        const text = JSON.stringify(object)
        expect(parseJsonObject(Buffer.from(text))).toEqual(JSON.parse(text))
        const names = Object.keys(object)
        const name = names[pick % names.length] as string
        // The repeat is spelled differently where it can be: \u escapes name the same member
        // (astral characters would need surrogate pairs, so those names repeat as they are).
        const astral = [...name].some((c) => (c.codePointAt(0) ?? 0) > 0xffff)
        const spelled =
          escaped && !astral
            ? `"${[...name].map((c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`).join('')}"`
            : JSON.stringify(name)
        const repeated = `{${spelled}:null,${text.slice(1)}`
        expect(parseJsonObject(Buffer.from(repeated))).toBeUndefined()
      }),
      { numRuns: 1000, seed: SEED },
    )
  })
})

describe('parseCompactJws on any string', () => {
  /** Strings shaped like tokens: segments of random or base64url-encoded JSON, joined by dots. */
  const tokenish = fc.oneof(
    anyString,
    fc
      .array(
        fc.oneof(
          fc.string({ unit: fc.constantFrom(...'AQgw09-_'), maxLength: 40 }),
          jsonishBytes.map((bytes) => bytes.toString('base64url')),
          anyString,
        ),
        { minLength: 1, maxLength: 6 },
      )
      .map((segments) => segments.join('.')),
  )

  it('returns a header, payload and signing input that match the token, or throws MalformedTokenError', () => {
    fc.assert(
      fc.property(tokenish, (token) => {
        let jws
        try {
          jws = parseCompactJws(token)
        } catch (error) {
          expect(error).toBeInstanceOf(MalformedTokenError)
          return
        }
        const segments = token.split('.')
        expect(segments).toHaveLength(3)
        const [h, p, s] = segments as [string, string, string]
        expect(jws.signingInput.toString('latin1')).toBe(`${h}.${p}`)
        expect(jws.signature.toString('base64url')).toBe(s)
        expect(jws.header).toEqual(JSON.parse(Buffer.from(h, 'base64url').toString()))
        expect(jws.payload).toEqual(JSON.parse(Buffer.from(p, 'base64url').toString()))
      }),
      { numRuns: 3000, seed: SEED },
    )
  })

  it('refuses a few megabytes of dots, or of one segment, in bounded time', () => {
    for (const token of [
      '.'.repeat(4 << 20),
      'A'.repeat(4 << 20),
      `e30.e30.${'A'.repeat((4 << 20) + 1)}`,
    ]) {
      // The work is counted, not timed: at most one decoding per segment, and no JSON parsed.
      const parse = vi.spyOn(JSON, 'parse')
      const decode = vi.spyOn(Buffer, 'from')
      expect(() => parseCompactJws(token)).toThrow(MalformedTokenError)
      expect(parse).not.toHaveBeenCalled()
      expect(decode.mock.calls.length).toBeLessThanOrEqual(3)
      vi.restoreAllMocks()
    }
  })
})
