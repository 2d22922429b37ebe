import { WebhookError } from '../../errors/webhook-error.js'
import { normalizeParameters } from './normalize-parameters.js'
import type { Parameter } from './normalize-parameters.js'
import { percentEncode } from './percent-encode.js'

/**
 * The base string URI of RFC 5849 §3.4.1.2: scheme and host in lowercase, the port only when it is
 * not the scheme's default, the path, no query or fragment. A path-only `url` is resolved against
 * `origin`.
 *
 * @example
 * ```ts
 * baseStringUri('http://EXAMPLE.COM:80/r v/X?id=123') // 'http://example.com/r%20v/X'
 * ```
 */
export function baseStringUri(url: string, origin?: string): string {
  let parsed: URL
  try {
    parsed = new URL(url, origin)
  } catch {
    throw new WebhookError('ERR_SIGNATURE_MALFORMED', 'the request URL cannot be read')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new WebhookError('ERR_SIGNATURE_MALFORMED', 'the request URL is not http or https')
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`
}

/** The signature base string of RFC 5849 §3.4.1: method, base string URI and parameters. */
export function signatureBaseString(
  method: string,
  baseUri: string,
  parameters: readonly Parameter[],
): string {
  return [
    percentEncode(method.toUpperCase()),
    percentEncode(baseUri),
    percentEncode(normalizeParameters(parameters)),
  ].join('&')
}
