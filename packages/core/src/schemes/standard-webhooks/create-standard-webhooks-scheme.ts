import { createHmac, timingSafeEqual, verifyEd25519 } from '#runtime/crypto.js'
import type { PublicKeyHandle } from '#runtime/crypto.js'
import { WebhookError } from '../../errors/webhook-error.js'
import { createRemoteKeySet } from '../../jwks/create-remote-key-set.js'
import type { RemoteKeySet } from '../../jwks/types.js'
import type { ReplayStore } from '../../replay/replay-store.js'
import { readSingleHeader } from '../../verify/read-single-header.js'
import { rememberId } from '../../verify/remember-id.js'
import type { VerifiedWebhook, VerifierEvent, WebhookRequest } from '../../verify/types.js'
import type { InboundScheme } from '../inbound-scheme.js'
import { decodePublicKey, decodeSecret } from './decode-key.js'
import { matchJwksKey } from './match-jwks-key.js'
import { parseSignatureHeader } from './parse-signature-header.js'
import type { StandardWebhooksSignature } from './parse-signature-header.js'
import type { StandardWebhooksSenderOptions } from './types.js'

interface SenderSettings {
  readonly id: string
  readonly secrets: readonly Buffer[]
  readonly publicKeys: readonly PublicKeyHandle[]
  /** v1a keys from the sender's JWKS, when it gives a `jwksUri`. */
  readonly keySet: RemoteKeySet | undefined
  readonly tolerance: number
  readonly replay: boolean
}

/** Longest `webhook-id` accepted; ids are opaque and short (`msg_…`, UUIDs). */
const MAX_ID_LENGTH = 256
const TIMESTAMP = /^[0-9]{1,15}$/

function fail(message: string): never {
  throw new TypeError(`createVerifier: ${message}`)
}

/** What the verifier shares with every scheme's JWKS clients. */
interface KeySetContext {
  readonly allowInsecureHttp: boolean
  readonly emit: (event: VerifierEvent) => void
}

function normalizeKeySet(
  options: StandardWebhooksSenderOptions,
  context: KeySetContext,
): RemoteKeySet | undefined {
  const { id, jwksUri, jwks } = options
  if (jwksUri === undefined) return undefined
  try {
    return createRemoteKeySet({
      ...jwks,
      jwksUri,
      allowInsecureHttp: context.allowInsecureHttp,
      onEvent: (event) => context.emit({ ...event, issuer: id }),
    })
  } catch (cause) {
    fail(`jwksUri of ${id}: ${(cause as Error).message}`)
  }
}

function normalizeSender(
  options: StandardWebhooksSenderOptions,
  context: KeySetContext,
): SenderSettings {
  const { id, secrets = [], publicKeys = [], tolerance = 300, replay = true } = options
  if (typeof id !== 'string' || id === '') fail('a standard-webhooks sender needs an id')
  if (!Array.isArray(secrets) || !Array.isArray(publicKeys)) {
    fail(`secrets and publicKeys of ${id} must be arrays`)
  }
  if (secrets.length + publicKeys.length === 0 && options.jwksUri === undefined) {
    fail(`standard-webhooks sender ${id} needs secrets (v1), publicKeys or a jwksUri (v1a)`)
  }
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    fail(`tolerance of ${id} must be a number of seconds, 0 or more`)
  }
  if (typeof replay !== 'boolean') fail(`replay of ${id} must be a boolean`)
  let keys
  try {
    keys = { secrets: secrets.map(decodeSecret), publicKeys: publicKeys.map(decodePublicKey) }
  } catch (cause) {
    fail(`${id}: ${(cause as Error).message}`)
  }
  return { id, ...keys, keySet: normalizeKeySet(options, context), tolerance, replay }
}

function malformed(message: string): WebhookError {
  return new WebhookError('ERR_SIGNATURE_MALFORMED', message)
}

/** The configured key of `sender` that signed, as `v1/<index>` or `v1a/<index>`, or undefined. */
async function matchingKey(
  sender: SenderSettings,
  signatures: readonly StandardWebhooksSignature[],
  prefix: string,
  body: Uint8Array,
): Promise<{ kid: string; version: 'v1' | 'v1a' } | undefined> {
  for (let i = 0; i < sender.secrets.length; i++) {
    const mac = createHmac('sha256', sender.secrets[i] as Buffer)
      .update(prefix)
      .update(body)
      .digest()
    for (const { version, signature } of signatures) {
      if (version === 'v1' && timingSafeEqual(mac, signature)) return { kid: `v1/${i}`, version }
    }
  }
  if (sender.publicKeys.length === 0 || !signatures.some((s) => s.version === 'v1a')) return
  const content = Buffer.concat([Buffer.from(prefix), body])
  for (let i = 0; i < sender.publicKeys.length; i++) {
    for (const { version, signature } of signatures) {
      if (
        version === 'v1a' &&
        (await verifyEd25519(content, sender.publicKeys[i] as PublicKeyHandle, signature))
      ) {
        return { kid: `v1a/${i}`, version }
      }
    }
  }
  return undefined
}

/**
 * The Standard Webhooks scheme for the configured senders: found by its `webhook-signature` header,
 * it checks a v1 HMAC-SHA256 or v1a Ed25519 signature over `id.timestamp.body` against every key of
 * every sender (constant-time for MACs), then the timestamp window, then the `webhook-id` replay.
 */
export function createStandardWebhooksScheme(
  senders: readonly StandardWebhooksSenderOptions[],
  replayStore: ReplayStore,
  context: KeySetContext = { allowInsecureHttp: false, emit: () => {} },
): InboundScheme {
  const settings = senders.map((sender) => normalizeSender(sender, context))
  const ids = new Set(settings.map((sender) => sender.id))
  if (ids.size !== settings.length) fail('two standard-webhooks senders share an id')

  async function verifyRequest(request: WebhookRequest, header: string): Promise<VerifiedWebhook> {
    const id = readSingleHeader(request.headers, 'webhook-id')
    const sentAt = readSingleHeader(request.headers, 'webhook-timestamp')
    if (id === undefined || id === '') throw malformed('the webhook-id header is missing')
    if (id.length > MAX_ID_LENGTH) throw malformed('the webhook-id header is too long')
    if (sentAt === undefined || !TIMESTAMP.test(sentAt)) {
      throw malformed('the webhook-timestamp header is missing or not a number of seconds')
    }
    const signatures = parseSignatureHeader(header)
    const prefix = `${id}.${sentAt}.`
    const timestamp = Number(sentAt)
    for (const sender of settings) {
      const match = await matchingKey(sender, signatures, prefix, request.body)
      if (match !== undefined) return accept(sender, match, id, timestamp)
    }
    // Keys from a JWKS come last: trying them may mean a fetch, and configured keys need none.
    const content = Buffer.concat([Buffer.from(prefix), request.body])
    for (const sender of settings) {
      if (sender.keySet === undefined) continue
      const kid = await matchJwksKey(sender.keySet, signatures, content, timestamp)
      if (kid !== undefined)
        return accept(sender, { kid: `v1a/jwk:${kid}`, version: 'v1a' }, id, timestamp)
    }
    throw new WebhookError('ERR_SIGNATURE_INVALID', 'no webhook-signature entry verifies')
  }

  async function accept(
    sender: SenderSettings,
    match: { kid: string; version: 'v1' | 'v1a' },
    id: string,
    timestamp: number,
  ): Promise<VerifiedWebhook> {
    if (Math.abs(Date.now() / 1000 - timestamp) > sender.tolerance) {
      throw new WebhookError(
        'ERR_TIMESTAMP_OUT_OF_WINDOW',
        `webhook-timestamp is more than ${sender.tolerance} seconds away from now`,
      )
    }
    if (sender.replay) {
      await rememberId(
        replayStore,
        `standard-webhooks\0${sender.id}\0${id}`,
        timestamp + sender.tolerance,
      )
    }
    return {
      scheme: 'standard-webhooks',
      sender: sender.id,
      issuer: sender.id,
      kid: match.kid,
      alg: match.version === 'v1' ? 'HS256' : 'EdDSA',
      claims: {
        iss: sender.id,
        aud: [],
        iat: timestamp,
        exp: timestamp + sender.tolerance,
        jti: id,
      },
      id,
      bodyDigestVerified: true,
      standardWebhooks: { version: match.version, timestamp },
    }
  }

  return {
    name: 'standard-webhooks',
    carriers: 'webhook-signature',
    detect(request) {
      const header = readSingleHeader(request.headers, 'webhook-signature')
      if (header === undefined) return undefined
      return { scheme: 'standard-webhooks', verify: () => verifyRequest(request, header) }
    },
  }
}
