import { describe, expect, it } from 'vitest'
import { decodeBase64Url } from '../../src/lib/base64url.js'
import { parseCompactJws } from '../../src/lib/parse-compact-jws.js'
import { parseJsonObject } from '../../src/lib/parse-json-object.js'

const json = (text: string) => parseJsonObject(Buffer.from(text))

describe('decodeBase64Url', () => {
  it('decodes canonical base64url', () => {
    expect(decodeBase64Url('aGk_-w')?.toString('hex')).toBe('68693ffb')
    expect(decodeBase64Url('')?.length).toBe(0)
  })

  it.each([
    ['padding', 'aGk='],
    ['the standard alphabet', 'aGk/+w'],
    ['whitespace', 'aG k'],
    ['an impossible length', 'aGkxa'],
    ['non-canonical trailing bits', 'aGl'],
    ['a character outside the alphabet', 'aG?k'],
    ['padding inside', 'aGk=aGk'],
    // Node's decoder reads a character above U+00FF by its low byte: U+0141 (Ł) would read as A.
    ['a character whose low byte is in the alphabet', 'aGk\u0141'],
    ['a Latin-1 character', 'aGk\u00c1'],
    ['non-canonical trailing bits of a 3-character tail', 'aGk_-x'],
  ])('refuses %s', (_name, input) => {
    expect(decodeBase64Url(input)).toBeUndefined()
  })
})

describe('parseJsonObject', () => {
  it('parses an object and keeps nested values', () => {
    expect(json('{"a":{"b":[1,{"c":"}"}]},"d":"\\"{"}')).toEqual({
      a: { b: [1, { c: '}' }] },
      d: '"{',
    })
  })

  it('allows the same name in different objects', () => {
    expect(json('{"a":{"x":1},"b":{"x":2},"c":[{"x":3},{"x":4}]}')).toBeDefined()
  })

  it('does not mistake string values for member names', () => {
    expect(json('{"a":"a","b":["a","b"],"c":"b"}')).toBeDefined()
  })

  it.each([
    ['a duplicate at the top', '{"alg":"RS256","alg":"none"}'],
    ['a duplicate spelled with an escape', '{"alg":"RS256","\\u0061lg":"none"}'],
    ['a duplicate inside an array of objects', '{"a":[{"x":1,"x":2}]}'],
    ['a duplicate after a nested object', '{"a":{"b":1},"a":2}'],
    ['an array', '[1]'],
    ['null', 'null'],
    ['a string', '"x"'],
    ['trailing garbage', '{"a":1}x'],
  ])('refuses %s', (_name, text) => {
    expect(json(text)).toBeUndefined()
  })

  it('refuses invalid UTF-8 and a byte order mark', () => {
    expect(parseJsonObject(Buffer.from([0x7b, 0x22, 0xc3, 0x22, 0x3a, 0x31, 0x7d]))).toBeUndefined()
    expect(parseJsonObject(Buffer.from('\ufeff{}'))).toBeUndefined()
  })
})

describe('parseCompactJws', () => {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

  it('returns header, payload, the signed bytes and the signature', () => {
    const jws = parseCompactJws(`${part({ alg: 'RS256' })}.${part({ iss: 'x' })}.AQID`)
    expect(jws.header).toEqual({ alg: 'RS256' })
    expect(jws.payload).toEqual({ iss: 'x' })
    expect(jws.signingInput.toString()).toBe(`${part({ alg: 'RS256' })}.${part({ iss: 'x' })}`)
    expect([...jws.signature]).toEqual([1, 2, 3])
  })

  it.each(['', '.', '..', 'a.b', 'a.b.c.d', 'e30.e30.', '.e30.AQID', 'e30..AQID'])(
    'refuses %j',
    (token) => {
      expect(() => parseCompactJws(token)).toThrow()
    },
  )
})
