/**
 * Decodes base64url exactly as RFC 7515 has it: URL-safe alphabet only, no padding, no whitespace,
 * and canonical trailing bits. Node's own decoder silently skips anything it does not understand
 * and accepts both alphabets, so the result is encoded again and compared with the input: only
 * strict base64url comes back unchanged, since Node's encoder writes nothing else. That one native
 * round trip is cheaper than an alphabet check beside it, and catches what such a check would not
 * (non-canonical trailing bits, an impossible length). Returns undefined for anything else.
 */
export function decodeBase64Url(input: string): Buffer | undefined {
  if (input.length % 4 === 1) return undefined
  const bytes = Buffer.from(input, 'base64url')
  return bytes.toString('base64url') === input ? bytes : undefined
}
