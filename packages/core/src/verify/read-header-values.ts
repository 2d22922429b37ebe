import type { HeadersInput } from './types.js'

/**
 * Every value sent for header `name` (lowercase), in any of the accepted header shapes. Node joins
 * repeated custom headers with ", " in `req.headers`; the caller sees that as one value holding a
 * ", ", which no token contains, and refuses it as a duplicate.
 */
export function readHeaderValues(headers: HeadersInput, name: string): string[] {
  const values: string[] = []
  // Node's raw headers first: what the Node adapters pass on every request. (On Node 20 the global
  // `Headers` is a getter that loads undici each time it is read: only an object with a `get`
  // method is checked against it.)
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const key = headers[i] as string
      // The length first: most names differ in it, and lowercasing them all would copy each.
      if (key.length === name.length && key.toLowerCase() === name) {
        values.push(headers[i + 1] as string)
      }
    }
    return values
  }
  if (typeof (headers as Partial<Headers>).get === 'function' && headers instanceof Headers) {
    const value = headers.get(name)
    return value === null ? [] : [value]
  }
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() !== name || value === undefined) continue
    if (typeof value === 'string') values.push(value)
    else if (Array.isArray(value)) values.push(...value.map(String))
  }
  return values
}
