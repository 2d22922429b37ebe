/**
 * Text decoding on Node: Buffer's own checks and slices, which skip the copy and the converter a
 * `TextDecoder` goes through. Token segments are nearly always ASCII, checked and sliced natively.
 */
import { isAscii, isUtf8 } from 'node:buffer'

/**
 * Decodes strict UTF-8: undefined for any invalid sequence (overlong forms, surrogates, truncated
 * characters). A byte order mark is kept as U+FEFF, never stripped, as `TextDecoder` with
 * `ignoreBOM` keeps it.
 */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (isAscii(buffer)) return buffer.toString('latin1')
  return isUtf8(buffer) ? buffer.toString('utf8') : undefined
}
