import { parseSecureUrl } from '../lib/parse-secure-url.js'
import { DeliveryError } from './delivery-error.js'
import type { NormalizedSenderOptions } from './normalize-sender-options.js'

type DestinationPolicy = Pick<
  NormalizedSenderOptions,
  'allowInsecureHttp' | 'hostAllowed' | 'addressPolicy'
>

function refused(message: string, webhookId: string | undefined, cause?: unknown): DeliveryError {
  return new DeliveryError('ERR_DESTINATION_REFUSED', message, { webhookId, cause })
}

/**
 * Checks a delivery's URL against everything decidable before connecting: HTTPS (or loopback http
 * with `allowInsecureHttp`), no credentials, `allowedHosts`, and an IP-literal host against the
 * SSRF guard (Node connects to a literal without any lookup, so it is checked here). A host name's
 * addresses are checked later, as the connection is made.
 *
 * @throws DeliveryError `ERR_DESTINATION_REFUSED`.
 *
 * @example
 * ```ts
 * const url = checkDestination('https://hooks.partner.example/in', policy, webhookId)
 * ```
 */
export function checkDestination(
  input: string | URL,
  policy: DestinationPolicy,
  webhookId: string | undefined,
): URL {
  let url: URL
  try {
    url = parseSecureUrl(input, 'url', policy.allowInsecureHttp)
  } catch (error) {
    throw refused((error as Error).message, webhookId, error)
  }
  if (!policy.hostAllowed(url.hostname)) {
    throw refused(`${url.hostname} is not on allowedHosts`, webhookId)
  }
  const refusal = policy.addressPolicy.literalRefusal(url.hostname)
  if (refusal !== undefined) {
    throw refused(`${url.hostname} is a ${refusal} address, not allowed`, webhookId)
  }
  return url
}
