import type { KeyObject } from 'node:crypto'
import type { Fail } from '../lib/fail-with.js'
import { decodeSecret } from '../schemes/standard-webhooks/decode-key.js'
import { signStandardWebhook } from '../schemes/standard-webhooks/sign-standard-webhook.js'
import type { AttemptHeaders } from './attempt-request.js'
import { readPrivateKeyOption } from './read-private-key-option.js'
import type { DestinationSigner } from './types.js'

/**
 * Checks a destination's Standard Webhooks signer once and returns what signs each attempt: the
 * delivery's `webhookId` as `webhook-id` (stable across retries), a fresh `webhook-timestamp`, and
 * `v1` (HMAC-SHA256, `whsec_` secret) and/or `v1a` (Ed25519) signatures over `id.timestamp.body`.
 *
 * @param where The option's path, for messages (`auth["hooks.partner.example"].signer`).
 * @throws TypeError for a signer that is not `{ standardWebhooks }`, a malformed secret, or a key
 *   that is not an Ed25519 private key.
 *
 * @example
 * ```ts
 * const sign = standardWebhooksSigner('auth["hooks.example"].signer', { standardWebhooks: { secret } }, fail)
 * sign(request)['webhook-signature'] // 'v1,…'
 * ```
 */
export function standardWebhooksSigner(
  where: string,
  signer: DestinationSigner,
  fail: Fail,
): AttemptHeaders {
  const options = (signer as { standardWebhooks?: unknown } | null)?.standardWebhooks
  if (typeof options !== 'object' || options === null) {
    fail(
      `${where} must be { standardWebhooks: { secret } } or { standardWebhooks: { privateKey } }`,
    )
  }
  const { secret, privateKey } = options as DestinationSigner['standardWebhooks']
  if (secret === undefined && privateKey === undefined) {
    fail(`${where}.standardWebhooks needs a secret or a privateKey`)
  }
  if (secret !== undefined) {
    try {
      decodeSecret(secret)
    } catch (cause) {
      // The decoder's message says what is wrong without quoting the secret.
      fail(`${where}.standardWebhooks.secret: ${(cause as Error).message}`)
    }
  }
  const keys: KeyObject[] = []
  if (privateKey !== undefined) {
    const key = readPrivateKeyOption(`${where}.standardWebhooks.privateKey`, privateKey, fail)
    if (key.asymmetricKeyType !== 'ed25519') {
      fail(`${where}.standardWebhooks.privateKey must be an Ed25519 key (v1a)`)
    }
    keys.push(key)
  }
  const secrets = secret === undefined ? [] : [secret]

  return (request) =>
    signStandardWebhook({ body: request.body, id: request.webhookId, secrets, privateKeys: keys })
}
