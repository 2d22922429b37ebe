import type { VerifiedWebhook, WebhookRequest, WebhookScheme } from '../verify/types.js'

/** One credential found in a request's headers, ready to be checked. */
export interface DetectedCredential {
  readonly scheme: WebhookScheme
  verify(): Promise<VerifiedWebhook>
}

/**
 * An inbound scheme as the verifier dispatches to it: it looks at the headers only, and either finds
 * nothing of its own, finds exactly one credential, or refuses two of them as a duplicate.
 */
export interface InboundScheme {
  readonly name: WebhookScheme
  /** What carries this scheme's credentials, for the missing-signature message. */
  readonly carriers: string
  detect(request: WebhookRequest): DetectedCredential | undefined
}
