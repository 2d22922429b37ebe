const BASE64URL = /^[A-Za-z0-9_-]*$/

/**
 * Decodes base64url exactly as RFC 7515 has it: URL-safe alphabet only, no padding, no whitespace,
 * and canonical trailing bits. Node's own decoder silently skips anything it does not understand,
 * so the input is checked first and the result re-encoded to catch non-canonical forms.
 * Returns undefined for anything else.
 */
export function decodeBase64Url(input: string): Buffer | undefined {
  if (!BASE64URL.test(input) || input.length % 4 === 1) return undefined
  const bytes = Buffer.from(input, 'base64url')
  return bytes.toString('base64url') === input ? bytes : undefined
}
