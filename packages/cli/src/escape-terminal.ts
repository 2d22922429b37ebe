/** Short forms for the control characters people recognise; the rest become `\uXXXX`. */
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/**
 * Whether a terminal would act on the character instead of showing it: C0 controls (ESC starts
 * colour, title and OSC 52 clipboard sequences; CR and LF let a value forge a line of its own), DEL,
 * C1 controls (CSI and OSC without ESC), the Unicode bidi controls that reorder what is shown, and
 * the Unicode line and paragraph separators.
 */
function isUnsafe(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  )
}

/**
 * Makes text that another party controls (a response body, a `jti`, a `kid`, an error message
 * quoting either) safe to write to a terminal: every character a terminal would act on is written
 * as a visible escape (`\n`, `\u001b`, `\u202e`), so the value shows up as one inert field.
 *
 * The escapes are also JSON string escapes, so a line of `JSON.stringify` output stays valid JSON
 * with the same value after it passes through here.
 *
 * @param text a single field or a single line; its own line breaks are escaped too
 * @example
 * escapeTerminal('ok\u001b]52;c;bWFsd2FyZQ==\u0007') // 'ok\\u001b]52;c;bWFsd2FyZQ==\\u0007'
 */
export function escapeTerminal(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (char) => {
    const code = char.charCodeAt(0)
    if (!isUnsafe(code)) return char
    return NAMED[char] ?? `\\u${code.toString(16).padStart(4, '0')}`
  })
}
