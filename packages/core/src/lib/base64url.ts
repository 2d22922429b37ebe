/**
 * Bits the last character of a base64url string leaves unused, by the string's length modulo 4
 * (a length of 1 modulo 4 cannot be base64 at all). Canonical encodings leave them zero.
 */
const UNUSED_TAIL_BITS = [0, 0, 0x0f, 0x03] as const

/** The 6-bit value of a base64url character; the caller has already ruled out any other. */
function sextet(code: number): number {
  if (code >= 0x61) return code - 0x61 + 26 // a-z
  if (code >= 0x41) return code === 0x5f ? 63 : code - 0x41 // A-Z, _
  return code === 0x2d ? 62 : code - 0x30 + 52 // -, 0-9
}

/**
 * Decodes base64url exactly as RFC 7515 has it: URL-safe alphabet only, no padding, no whitespace,
 * and canonical trailing bits. Returns undefined for anything else.
 *
 * Node's own decoder is lenient in three ways, each closed here without a character-by-character
 * loop in JavaScript: it accepts the standard alphabet too (refused by looking for `+` and `/`), it
 * reads a character above U+007F by its low byte (`Ł`, U+0141, as `A`; refused when the string is
 * not ASCII), and it skips or stops at anything else (`=`, whitespace, `.`), which then yields
 * fewer bytes than the string's length promises. Last, the trailing bits must be zero, so that one
 * byte string has one encoding only.
 */
export function decodeBase64Url(input: string): Buffer | undefined {
  const remainder = input.length % 4
  if (remainder === 1) return undefined
  if (input.includes('+') || input.includes('/') || Buffer.byteLength(input) !== input.length) {
    return undefined
  }
  const bytes = Buffer.from(input, 'base64url')
  if (bytes.length !== (input.length * 3) >>> 2) return undefined
  const unused = UNUSED_TAIL_BITS[remainder as 0 | 2 | 3]
  if (unused !== 0 && (sextet(input.charCodeAt(input.length - 1)) & unused) !== 0) return undefined
  return bytes
}
