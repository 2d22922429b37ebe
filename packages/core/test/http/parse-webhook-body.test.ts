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

  it('refuses malformed JSON', () => {
    expect(refusal('{"a":')).toBe('ERR_BODY_INVALID')
  })
})
