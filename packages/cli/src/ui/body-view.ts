/** A body as the page shows it: indented JSON, UTF-8 text, or a hex dump. */
export interface BodyView {
  kind: 'json' | 'text' | 'hex'
  text: string
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Indents valid JSON text without parsing its values, so that what is shown is what was sent: a
 * number beyond double precision keeps its digits and a repeated member stays repeated.
 */
function indentJson(text: string): string {
  let out = ''
  let depth = 0
  let inString = false
  const newline = () => `\n${'  '.repeat(depth)}`
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string
    if (inString) {
      out += char
      if (char === '\\') out += text[++i] ?? ''
      else if (char === '"') inString = false
    } else if (char === '"') {
      inString = true
      out += char
    } else if (char === '{' || char === '[') {
      const close = char === '{' ? '}' : ']'
      const rest = text.slice(i + 1).trimStart()
      if (rest.startsWith(close)) {
        out += char + close
        i = text.indexOf(close, i + 1)
      } else {
        depth++
        out += char + newline()
      }
    } else if (char === '}' || char === ']') {
      depth--
      out += newline() + char
    } else if (char === ',') {
      out += char + newline()
    } else if (char === ':') {
      out += ': '
    } else if (!/\s/.test(char)) {
      out += char
    }
  }
  return out
}

function hexDump(bytes: Buffer): string {
  const lines: string[] = []
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16)
    const hex = [...row].map((byte) => byte.toString(16).padStart(2, '0')).join(' ')
    const ascii = [...row].map((byte) =>
      byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.',
    )
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${ascii.join('')}|`)
  }
  return lines.join('\n')
}

/** Shows a body as indented JSON when it is JSON, as text when it is UTF-8, else in hex. */
export function bodyView(bytes: Buffer): BodyView {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return { kind: 'hex', text: hexDump(bytes) }
  }
  // A NUL or another C0 control but tab and line breaks marks binary data that decodes as UTF-8.
  if (bytes.some((byte) => byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d)) {
    return { kind: 'hex', text: hexDump(bytes) }
  }
  try {
    JSON.parse(text)
    return { kind: 'json', text: indentJson(text) }
  } catch {
    return { kind: 'text', text }
  }
}
