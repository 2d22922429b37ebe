const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Parses bytes as a UTF-8 JSON object, refusing invalid UTF-8, a byte order mark, non-objects and
 * duplicate member names at any depth. Duplicates matter: if two `alg` or `exp` members were
 * allowed, whoever reads the last one and whoever reads the first would disagree about the token.
 * Returns undefined for anything else.
 */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  let text: string
  let value: unknown
  try {
    // ignoreBOM keeps a leading BOM in the text, where JSON.parse refuses it.
    text = utf8.decode(bytes)
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return hasDuplicateMember(text) ? undefined : (value as Record<string, unknown>)
}

/**
 * Scans JSON text already known to be valid and reports whether any object repeats a member name.
 * Names are compared after unescaping, so `"alg"` and `"\u0061lg"` count as the same.
 */
function hasDuplicateMember(text: string): boolean {
  // One entry per open container: the names seen so far for an object, null for an array.
  const stack: Array<Set<string> | null> = []
  let expectingName = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (char === '{') {
      stack.push(new Set())
      expectingName = true
    } else if (char === '[') {
      stack.push(null)
    } else if (char === '}' || char === ']') {
      stack.pop()
    } else if (char === ',') {
      expectingName = stack.at(-1) instanceof Set
    } else if (char === '"') {
      const end = endOfString(text, i)
      if (expectingName) {
        const names = stack.at(-1) as Set<string>
        const name = JSON.parse(text.slice(i, end + 1)) as string
        if (names.has(name)) return true
        names.add(name)
        expectingName = false
      }
      i = end
    }
  }
  return false
}

/** Index of the quote that closes the string opening at `start`. */
function endOfString(text: string, start: number): number {
  let i = start + 1
  while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1
  return i
}
