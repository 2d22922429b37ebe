import { WebhookError } from '../errors/webhook-error.js'

/**
 * A `typ` value as the media type it names: lowercase, with `application/` added when it has no
 * slash, since RFC 7515 (section 4.1.9) lets senders leave that prefix out.
 */
export function mediaTypeOf(typ: string): string {
  const lower = typ.toLowerCase()
  return lower.includes('/') ? lower : `application/${lower}`
}

/**
 * Checks the token's `typ` header against the media types the issuer accepts (already passed
 * through {@link mediaTypeOf}); `null` accepts any `typ`, or none. Refusing other types keeps an
 * access token or ID token of the same issuer and audience from passing as a webhook.
 */
export function checkTokenType(typ: unknown, accepted: ReadonlySet<string> | null): void {
  if (accepted === null) return
  if (typeof typ !== 'string' || !accepted.has(mediaTypeOf(typ))) {
    throw new WebhookError(
      'ERR_TOKEN_TYPE_MISMATCH',
      'the token\'s "typ" header is not a type this issuer sends webhooks as',
    )
  }
}
