import { describe, expect, it } from 'vitest'
import { clampFreshness, maxAgeFromCacheControl } from '../../src/jwks/cache-control.js'

describe('maxAgeFromCacheControl', () => {
  it.each([
    ['max-age=300', 300_000],
    ['public, max-age=60, must-revalidate', 60_000],
    ['MAX-AGE=5', 5000],
    ['max-age="120"', 120_000],
    ['max-age=0', 0],
    ['max-age=10, max-age=20', 10_000],
    ['s-maxage=900, max-age=30', 30_000],
  ])('reads %j as %d ms', (header, expected) => {
    expect(maxAgeFromCacheControl(header)).toBe(expected)
  })

  it.each(['no-store', 'no-cache', 'max-age=300, no-store', 'No-Cache="set-cookie", max-age=60'])(
    'treats %j as a zero lifetime, whatever max-age says',
    (header) => {
      expect(maxAgeFromCacheControl(header)).toBe(0)
    },
  )

  it.each([
    undefined,
    '',
    'public',
    's-maxage=60',
    'max-age=',
    'max-age=-5',
    'max-age=1.5',
    'max-age=ten',
  ])('finds no lifetime in %j', (header) => {
    expect(maxAgeFromCacheControl(header)).toBeUndefined()
  })
})

describe('clampFreshness', () => {
  const bounds = { defaultMs: 600_000, minMs: 60_000, maxMs: 86_400_000 }

  it('uses the default when the response names no lifetime', () => {
    expect(clampFreshness(undefined, bounds)).toBe(600_000)
  })

  it('raises a short lifetime to the lower bound and lowers a long one to the upper bound', () => {
    expect(clampFreshness(0, bounds)).toBe(60_000)
    expect(clampFreshness(1000, bounds)).toBe(60_000)
    expect(clampFreshness(Number.MAX_VALUE, bounds)).toBe(86_400_000)
    expect(clampFreshness(300_000, bounds)).toBe(300_000)
  })

  it('keeps a default that lies outside the bounds within them', () => {
    expect(clampFreshness(undefined, { ...bounds, minMs: 900_000 })).toBe(900_000)
  })
})
