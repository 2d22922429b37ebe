import { decodeUtf8 } from '#runtime/text.js'

/**
 * Parses bytes as a UTF-8 JSON object, refusing invalid UTF-8, a byte order mark, non-objects and
 * duplicate member names at any depth. Duplicates matter: if two `alg` or `exp` members were
 * allowed, whoever reads the last one and whoever reads the first would disagree about the token.
 * Returns undefined for anything else.
 */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  // A leading BOM is kept in the text, where JSON.parse refuses it.
  const text = decodeUtf8(bytes)
  if (text === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  // JSON.parse keeps one property per distinct name (after unescaping, so `"alg"` and `"\u0061lg"`
  // are one), in every object. The text repeats a name somewhere exactly when it holds more member
  // names than the parsed value has properties.
  return countMemberNames(text) === countProperties(value)
    ? (value as Record<string, unknown>)
    : undefined
}

const BACKSLASH = 0x5c
const COLON = 0x3a

function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d
}

/**
 * Counts the member names in JSON text already known to be valid: the strings followed by a colon.
 * Jumps from quote to quote; outside strings there is nothing else a quote could be.
 */
function countMemberNames(text: string): number {
  const escapes = text.includes('\\')
  let names = 0
  let open = text.indexOf('"')
  while (open !== -1) {
    let close = text.indexOf('"', open + 1)
    // A quote ends the string unless an odd run of backslashes escapes it.
    while (escapes && close !== -1 && isEscaped(text, close)) close = text.indexOf('"', close + 1)
    // Unreachable for text JSON.parse accepted; a mismatch refuses it rather than loop.
    if (close === -1) return -1
    let next = close + 1
    while (isJsonWhitespace(text.charCodeAt(next))) next++
    if (text.charCodeAt(next) === COLON) names++
    open = text.indexOf('"', next)
  }
  return names
}

function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0
  while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++
  return backslashes % 2 === 1
}

/** Own properties of every object in a parsed JSON value, nested ones included; no recursion. */
function countProperties(root: object): number {
  let count = 0
  const pending: unknown[] = [root]
  while (pending.length > 0) {
    const value = pending.pop() as object
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i]
        if (typeof item === 'object' && item !== null) pending.push(item)
      }
      continue
    }
    const keys = Object.keys(value)
    count += keys.length
    for (let i = 0; i < keys.length; i++) {
      const item: unknown = (value as Record<string, unknown>)[keys[i] as string]
      if (typeof item === 'object' && item !== null) pending.push(item)
    }
  }
  return count
}
