import { WebhookError } from '../../errors/webhook-error.js'

/** One `version,base64` entry of a `webhook-signature` header, of a version hookseal knows. */
export interface StandardWebhooksSignature {
  readonly version: 'v1' | 'v1a'
  readonly signature: Buffer
}

/** Longest `webhook-signature` value read: room for dozens of signatures during a rotation. */
export const MAX_SIGNATURE_HEADER_LENGTH = 8192
const LENGTHS = { v1: 32, v1a: 64 } as const

function malformed(message: string): WebhookError {
  return new WebhookError('ERR_SIGNATURE_MALFORMED', message)
}

/**
 * Parses a `webhook-signature` header: space-separated `version,signature` entries. Entries of other
 * versions are skipped (a sender may add a scheme this receiver does not know yet); so are `v1` and
 * `v1a` entries that are not canonical base64 of the right length, since they can never match.
 * Throws `ERR_SIGNATURE_MALFORMED` when nothing usable is left.
 *
 * @example
 * ```ts
 * parseSignatureHeader('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
 * // [{ version: 'v1', signature: <Buffer 83 48 …> }]
 * ```
 */
export function parseSignatureHeader(value: string): StandardWebhooksSignature[] {
  if (value.length > MAX_SIGNATURE_HEADER_LENGTH) {
    throw malformed(`webhook-signature is longer than ${MAX_SIGNATURE_HEADER_LENGTH} characters`)
  }
  const signatures: StandardWebhooksSignature[] = []
  for (const entry of value.split(' ')) {
    const comma = entry.indexOf(',')
    if (comma === -1) continue
    const version = entry.slice(0, comma)
    if (version !== 'v1' && version !== 'v1a') continue
    const text = entry.slice(comma + 1)
    const signature = Buffer.from(text, 'base64')
    if (signature.length !== LENGTHS[version] || signature.toString('base64') !== text) continue
    signatures.push({ version, signature })
  }
  if (signatures.length === 0) {
    throw malformed('webhook-signature holds no well-formed v1 or v1a signature')
  }
  return signatures
}
