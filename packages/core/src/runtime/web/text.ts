/** Text decoding on runtimes without node:buffer: a fatal `TextDecoder`. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Decodes strict UTF-8: undefined for any invalid sequence (overlong forms, surrogates, truncated
 * characters). A byte order mark is kept as U+FEFF, never stripped.
 */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}
