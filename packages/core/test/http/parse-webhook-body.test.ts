import { describe, expect, it } from 'vitest'
import { parseWebhookBody } from '../../src/http/parse-webhook-body.js'
import { WebhookError } from '../../src/index.js'

const bytes = (text: string) => Buffer.from(text)

function refusal(text: string): string | undefined {
  try {
    parseWebhookBody(bytes(text), 'application/json')
    return undefined
  } catch (error) {
    return error instanceof WebhookError ? error.code : 'not a WebhookError'
  }
}

describe('parseWebhookBody', () => {
  it('parses JSON and +json media types, and leaves other bodies as bytes', () => {
    expect(parseWebhookBody(bytes('{"a":1}'), 'application/json; charset=utf-8')).toEqual({ a: 1 })
    expect(parseWebhookBody(bytes('{"a":1}'), 'application/cloudevents+json')).toEqual({ a: 1 })
    expect(parseWebhookBody(bytes('a=1'), 'application/x-www-form-urlencoded')).toEqual(
      bytes('a=1'),
    )
    expect(parseWebhookBody(bytes('{}'), undefined)).toEqual(bytes('{}'))
  })

  it.each([
    ['at the top', '{"__proto__":{"admin":true}}'],
    ['nested in an array', '{"list":[{"__proto__":{}}]}'],
    ['spelled with an escape', '{"a":{"__pro\\u0074o__":{"admin":true}}}'],
  ])('refuses a __proto__ member %s', (_name, text) => {
    expect(refusal(text)).toBe('ERR_BODY_INVALID')
  })

  it('accepts __proto__ and escapes inside string values', () => {
    expect(refusal('{"note":"__proto__ is fine as text","e":"caf\\u00e9"}')).toBeUndefined()
  })

  it.each([
    ['at the top', '{"constructor":{"prototype":{"admin":true}}}'],
    ['nested in an array', '{"list":[{"constructor":{"prototype":null}}]}'],
    ['spelled with escapes', '{"a":{"\\u0063onstructor":{"prototyp\\u0065":{}}}}'],
  ])(
    'refuses a constructor object with a prototype member %s, as secure-json-parse does',
    (_name, text) => {
      expect(refusal(text)).toBe('ERR_BODY_INVALID')
    },
  )

  it('accepts constructor members that are not objects holding a prototype (control)', () => {
    expect(refusal('{"constructor":"Acme Ltd","prototype":1}')).toBeUndefined()
    expect(refusal('{"constructor":{"name":"Acme Ltd"}}')).toBeUndefined()
    expect(refusal('{"constructor":["prototype"]}')).toBeUndefined()
  })

  it('refuses nesting deeper than 1000 levels with ERR_BODY_INVALID, never a stack overflow', () => {
    const nested = (depth: number, inner = '1'): string =>
      '{"a":['.repeat(depth / 2) + inner + ']}'.repeat(depth / 2)
    expect(refusal(nested(1000))).toBeUndefined()
    expect(refusal(nested(1002))).toBe('ERR_BODY_INVALID')
    // Deep enough to overflow any recursive walk, with and without text that looks like __proto__.
    expect(refusal(nested(400_000))).toBe('ERR_BODY_INVALID')
    expect(refusal(nested(400_000, '"caf\\u00e9"'))).toBe('ERR_BODY_INVALID')
    expect(refusal('['.repeat(400_000) + ']'.repeat(400_000))).toBe('ERR_BODY_INVALID')
  })

  it('refuses malformed JSON', () => {
    expect(refusal('{"a":')).toBe('ERR_BODY_INVALID')
  })
})
