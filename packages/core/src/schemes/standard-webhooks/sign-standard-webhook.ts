import { createHmac, randomUUID, sign } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { decodeSecret } from './decode-key.js'

/** Options of {@link signStandardWebhook}: the keys and what one request sends. */
export interface SignStandardWebhookOptions {
  /** The exact body bytes that will be sent. */
  body: string | Uint8Array
  /** `whsec_` secrets; each adds a `v1` signature. */
  secrets?: readonly string[]
  /** Ed25519 private keys; each adds a `v1a` signature. */
  privateKeys?: readonly KeyObject[]
  /** The `webhook-id`. @default `msg_` + a random UUID */
  id?: string
  /** The `webhook-timestamp` in epoch seconds. @default now */
  timestamp?: number
}

/** The three Standard Webhooks headers of one signed request. */
export interface StandardWebhookHeaders {
  [name: string]: string
  'webhook-id': string
  'webhook-timestamp': string
  'webhook-signature': string
}

/**
 * Signs one request the Standard Webhooks way: `v1` HMAC-SHA256 and/or `v1a` Ed25519 over
 * `id.timestamp.body`, all signatures space-separated in one `webhook-signature` header.
 *
 * @example
 * ```ts
 * const headers = signStandardWebhook({ body, secrets: [process.env.WHSEC!] })
 * await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body })
 * ```
 */
export function signStandardWebhook(options: SignStandardWebhookOptions): StandardWebhookHeaders {
  const { body, secrets = [], privateKeys = [] } = options
  const id = options.id ?? `msg_${randomUUID()}`
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000)
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError('signStandardWebhook: timestamp must be whole epoch seconds')
  }
  if (secrets.length + privateKeys.length === 0) {
    throw new TypeError('signStandardWebhook: give secrets or privateKeys')
  }
  const content = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), Buffer.from(body)])
  const signatures = [
    ...secrets.map(
      (secret) =>
        `v1,${createHmac('sha256', decodeSecret(secret)).update(content).digest('base64')}`,
    ),
    ...privateKeys.map((key) => `v1a,${sign(null, content, key).toString('base64')}`),
  ]
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatures.join(' '),
  }
}
