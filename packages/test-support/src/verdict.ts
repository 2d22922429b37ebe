import { WebhookError } from '@hookseal/core'
import type { Verifier } from '@hookseal/core'

/** What a verifier said about one token: accepted, or refused with a `WebhookError`. */
export type Verdict =
  { readonly accepted: true } | { readonly accepted: false; readonly error: WebhookError }

/**
 * Verifies `token` sent in `X-Signature` on a POST to `/webhooks` with `body`. A refusal is a
 * verdict; anything thrown but a `WebhookError` is a bug and is thrown on.
 *
 * @example
 * ```ts
 * const verdict = await verdictOf(verifier, token, BODY)
 * if (!verdict.accepted) console.log(verdict.error.code)
 * ```
 */
export async function verdictOf(verifier: Verifier, token: string, body: Buffer): Promise<Verdict> {
  try {
    await verifier.verify({
      method: 'POST',
      url: '/webhooks',
      headers: { 'x-signature': token },
      body,
    })
    return { accepted: true }
  } catch (error) {
    if (!(error instanceof WebhookError)) throw error
    return { accepted: false, error }
  }
}
