import { WebhookError } from '../../errors/webhook-error.js'

const RESERVED_BY_RFC_3986 = /[!'()*]/g
/** Text that encodes to itself: most protocol parameters (keys, nonces, timestamps, methods). */
const UNRESERVED = /^[A-Za-z0-9._~-]*$/

/**
 * Percent-encodes as RFC 5849 §3.6 has it: UTF-8, every byte but the RFC 3986 unreserved characters
 * (`A-Z a-z 0-9 - . _ ~`) as `%XX` with uppercase hex. A lone surrogate has no UTF-8 form and is
 * refused with `ERR_SIGNATURE_MALFORMED`.
 */
export function percentEncode(value: string): string {
  if (UNRESERVED.test(value)) return value
  let encoded: string
  try {
    encoded = encodeURIComponent(value)
  } catch {
    throw new WebhookError('ERR_SIGNATURE_MALFORMED', 'a parameter is not valid Unicode text')
  }
  return encoded.replace(
    RESERVED_BY_RFC_3986,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

/** Decodes `%XX` sequences as UTF-8; anything that is not valid is refused. */
export function percentDecode(value: string): string {
  if (!value.includes('%')) return value
  try {
    return decodeURIComponent(value)
  } catch {
    throw new WebhookError('ERR_SIGNATURE_MALFORMED', 'a parameter holds a bad percent-encoding')
  }
}
