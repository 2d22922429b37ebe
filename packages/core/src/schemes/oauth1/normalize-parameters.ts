import { percentDecode, percentEncode } from './percent-encode.js'

/** A decoded name and value, in the order they came. */
export type Parameter = readonly [name: string, value: string]

/**
 * Reads `application/x-www-form-urlencoded` text (a query string or a form body) into decoded pairs,
 * as RFC 5849 §3.4.1.3.1 asks: `+` is a space, a part without `=` has an empty value.
 */
export function parseFormEncoded(text: string): Parameter[] {
  const pairs: Parameter[] = []
  for (const part of text.split('&')) {
    if (part === '') continue
    const equals = part.indexOf('=')
    const name = equals === -1 ? part : part.slice(0, equals)
    const value = equals === -1 ? '' : part.slice(equals + 1)
    pairs.push([
      percentDecode(name.replaceAll('+', ' ')),
      percentDecode(value.replaceAll('+', ' ')),
    ])
  }
  return pairs
}

/**
 * Normalises request parameters (RFC 5849 §3.4.1.3.2): each name and value percent-encoded, sorted
 * by name and then value in byte order, joined as `name=value` with `&`.
 *
 * @example
 * ```ts
 * normalizeParameters([['b', '2'], ['a', 'x y']]) // 'a=x%20y&b=2'
 * ```
 */
export function normalizeParameters(parameters: readonly Parameter[]): string {
  const encoded = parameters.map(([name, value]) => [percentEncode(name), percentEncode(value)])
  // Encoded text is ASCII, so comparing UTF-16 code units is comparing bytes.
  encoded.sort(([a, x], [b, y]) =>
    a === b ? compare(x as string, y as string) : compare(a as string, b as string),
  )
  return encoded.map(([name, value]) => `${name}=${value}`).join('&')
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
