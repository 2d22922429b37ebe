import { createHash, randomUUID } from 'node:crypto'
import { failWith } from '../lib/fail-with.js'
import { activeKeyOf } from './signing-key-registry.js'
import type { SigningKeySet } from './key-set-types.js'
import type { PreparedSigningKey } from './prepare-signing-key.js'
import { requestTarget } from './request-target.js'
import { registerThreadPoolSign } from './thread-pool-signing.js'
import type { SignedWebhookHeaders, Signer, SignWebhookRequest } from './types.js'
import { isWebhookId } from './webhook-id.js'

/** Options of {@link createSigner}. */
export interface SignerOptions {
  /** The `iss` claim: the URL or id receivers configure for this sender. */
  issuer: string
  /** The keys to sign with, from `loadKeySet`; the set's active key signs each token. */
  keys: SigningKeySet
  /**
   * Seconds from `iat` to `exp`. At most the key set's `maxTokenLifetime`, which keeps retired keys
   * published for as long as their tokens live.
   * @default 300
   */
  expiresIn?: number
}

const fail = failWith('createSigner')
const refuse = failWith('sign')

/**
 * Creates the signer of outgoing webhooks: each call makes the `X-Signature` JWT for one delivery
 * attempt, bound to its exact body, method and URL, plus the `Webhook-Id` that names the event.
 *
 * Claims: `iss`, `aud`, `iat`, `exp`, a fresh random `jti`, `htm`, `htu` (the URL without query,
 * fragment or user info) and `request_body_sha256` (lowercase hex SHA-256 of the body bytes).
 * Header: `{ alg, kid, typ: 'JWT' }` of the key set's active key at the time of the call.
 *
 * > [!NOTE]
 * > Sign every attempt again, retries included: a receiver refuses a `jti` it has seen, and a
 * > token older than its `maxTokenAge`. Pass the same `webhookId` to every attempt of one event
 * > so that the receiver can tell a retry from a new event.
 *
 * @param options Issuer, keys and token lifetime; checked here, once.
 * @throws TypeError when an option is invalid or `keys` is not from `loadKeySet`.
 *
 * @example
 * ```ts
 * const signer = createSigner({ issuer: 'https://partner.example', keys })
 * const body = JSON.stringify({ type: 'invoice.paid', invoice: 'in_1042' })
 * const headers = await signer.sign({ body, url: 'https://api.example.com/webhooks', webhookId })
 * await fetch('https://api.example.com/webhooks', {
 *   method: 'POST',
 *   headers: { ...headers, 'content-type': 'application/json' },
 *   body,
 * })
 * ```
 */
export function createSigner(options: SignerOptions): Signer {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const { issuer, keys, expiresIn = 300 } = options
  if (typeof issuer !== 'string' || issuer === '') fail('issuer must be a non-empty string')
  const activeKey = activeKeyOf(keys) ?? fail('keys must be a key set from loadKeySet')
  if (!Number.isSafeInteger(expiresIn) || expiresIn < 1) {
    fail('expiresIn must be a whole number of seconds, 1 or more')
  }
  if (expiresIn > keys.maxTokenLifetime) {
    fail(
      `expiresIn (${expiresIn} s) is above the key set's maxTokenLifetime ` +
        `(${keys.maxTokenLifetime} s): retired keys would leave the JWKS while their tokens live`,
    )
  }

  /** Checks one request and makes everything of its token but the signature. */
  function unsigned(request: SignWebhookRequest): {
    key: PreparedSigningKey
    signingInput: string
    webhookId: string
  } {
    if (typeof request !== 'object' || request === null) refuse('request must be an object')
    const { body, url, method = 'POST', audience, webhookId = randomUUID() } = request
    if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
      refuse('body must be the bytes to send (a string, Buffer or Uint8Array)')
    }
    const htu = requestTarget(url)
    if (htu === undefined) refuse('url must be an absolute http(s) URL')
    if (method !== 'POST' && method !== 'PUT') refuse("method must be 'POST' or 'PUT'")
    if (audience !== undefined && (typeof audience !== 'string' || audience === '')) {
      refuse('audience must be a non-empty string')
    }
    if (!isWebhookId(webhookId)) {
      refuse('webhookId must be 1 to 256 printable ASCII characters without spaces')
    }

    // One read of the active key for kid, header and signature, so a concurrent rotate() cannot
    // split a token between two keys.
    const key = activeKey()
    const iat = Math.floor(Date.now() / 1000)
    const claims = {
      iss: issuer,
      aud: audience ?? htu,
      iat,
      exp: iat + expiresIn,
      jti: randomUUID(),
      htm: method,
      htu,
      request_body_sha256: createHash('sha256').update(body).digest('hex'),
    }
    const signingInput = `${key.header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
    return { key, signingInput, webhookId }
  }

  function headers(
    signingInput: string,
    signature: Buffer,
    webhookId: string,
  ): SignedWebhookHeaders {
    return {
      'x-signature': `${signingInput}.${signature.toString('base64url')}`,
      'webhook-id': webhookId,
    }
  }

  async function sign(request: SignWebhookRequest): Promise<SignedWebhookHeaders> {
    const { key, signingInput, webhookId } = unsigned(request)
    return headers(signingInput, key.sign(Buffer.from(signingInput)), webhookId)
  }

  async function signInThreadPool(request: SignWebhookRequest): Promise<SignedWebhookHeaders> {
    const { key, signingInput, webhookId } = unsigned(request)
    const input = Buffer.from(signingInput)
    const signature =
      key.signInThreadPool === undefined ? key.sign(input) : await key.signInThreadPool(input)
    return headers(signingInput, signature, webhookId)
  }

  const signer: Signer = Object.freeze({ issuer, sign })
  registerThreadPoolSign(signer, signInThreadPool)
  return signer
}
