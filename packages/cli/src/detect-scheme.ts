import type { WebhookScheme } from '@hookseal/core'
import { headerValues } from './header-values.js'

/** What the CLI knows of a request before verifying it. */
export interface SchemeInput {
  readonly rawHeaders: readonly string[]
  readonly url: string
  readonly body: Uint8Array
}

const FORM = /^application\/x-www-form-urlencoded[ \t]*(?:;|$)/i

/**
 * The schemes other than JWT whose credentials a request carries, by the headers the verifier
 * dispatches on: `webhook-signature` for Standard Webhooks; `Authorization: OAuth`, or
 * `oauth_signature` in the query or a form body, for OAuth 1.0a. For choosing what to explain
 * only: the verifier makes its own decision, and refuses two schemes at once as ambiguous.
 */
export function detectSchemes(request: SchemeInput): WebhookScheme[] {
  const schemes: WebhookScheme[] = []
  if (headerValues(request.rawHeaders, 'webhook-signature').length > 0) {
    schemes.push('standard-webhooks')
  }
  const contentType = headerValues(request.rawHeaders, 'content-type')[0] ?? ''
  const form = FORM.test(contentType) ? Buffer.from(request.body).toString('latin1') : ''
  if (
    headerValues(request.rawHeaders, 'authorization').some((value) => /^\s*OAuth\b/i.test(value)) ||
    /[?&]oauth_signature=/.test(request.url) ||
    /(?:^|&)oauth_signature=/.test(form)
  ) {
    schemes.push('oauth1')
  }
  return schemes
}

/** The scheme a request claims, for a log line: `jwt` when it claims no other, `a+b` for two. */
export function schemeLabel(request: SchemeInput): string {
  const schemes = detectSchemes(request)
  return schemes.length === 0 ? 'jwt' : schemes.join('+')
}
