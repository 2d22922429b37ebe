import { describe, expect, it } from 'vitest'
import { backoffDelay } from '../../src/deliver/backoff-delay.js'
import { parseRetryAfter } from '../../src/deliver/parse-retry-after.js'
import { isRetryableStatus } from '../../src/deliver/retryable-status.js'

describe('backoffDelay', () => {
  it('spans zero to a ceiling that doubles per retry, up to maxBackoff', () => {
    expect([0, 1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, 1000, 10_000, 0))).toEqual([
      0, 0, 0, 0, 0, 0,
    ])
    expect([0, 1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, 1000, 10_000, 0.5))).toEqual([
      500, 1000, 2000, 4000, 5000, 5000,
    ])
    expect(backoffDelay(3, 1000, 10_000, 0.999_999)).toBe(7999)
    expect(backoffDelay(60, 1000, 30_000, 0.999_999)).toBe(29_999)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-03-01T12:00:00Z')

  it.each([
    ['0', 0],
    ['1', 1000],
    [' 120 ', 120_000],
    ['Sun, 01 Mar 2026 12:00:30 GMT', 30_000],
    ['Sunday, 01-Mar-26 12:00:30 GMT', 30_000],
    ['Sun, 01 Mar 2026 11:00:00 GMT', 0],
  ])('reads %j as %d ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms)
  })

  it.each([undefined, '', '-1', '1.5', 'soon', 'Sun, 01 Mar 2026 12:00:30', 'Mon, 99 Foo GMT'])(
    'ignores %j',
    (value) => {
      expect(parseRetryAfter(value, now)).toBeUndefined()
    },
  )
})

describe('isRetryableStatus', () => {
  it('retries 408, 425, 429 and every 5xx, and nothing else', () => {
    const statuses = [
      200, 204, 301, 308, 400, 401, 403, 404, 408, 409, 413, 422, 425, 429, 500, 501, 503, 599,
    ]
    expect(statuses.filter(isRetryableStatus)).toEqual([408, 425, 429, 500, 501, 503, 599])
  })
})
