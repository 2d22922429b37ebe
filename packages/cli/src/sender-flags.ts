import type { InboundSenderOptions, OAuth1Consumer, WebhookScheme } from '@hookseal/core'
import { openJwksSource } from './jwks-source.js'
import { integerFlag } from './parse-flags.js'
import { UsageError } from './usage-error.js'

/** The flags that configure a Standard Webhooks or OAuth 1.0a sender, shared by verify and listen. */
export const SENDER_FLAGS = {
  whsec: { type: 'string', multiple: true },
  whpk: { type: 'string', multiple: true },
  'whpk-jwks': { type: 'string' },
  'oauth1-consumer': { type: 'string', multiple: true },
  'oauth1-token': { type: 'string', multiple: true },
  'oauth1-origin': { type: 'string' },
  'oauth1-plaintext': { type: 'boolean', default: false },
  tolerance: { type: 'string' },
} as const

/** The help lines of {@link SENDER_FLAGS}. */
export const SENDER_HELP = `Standard Webhooks sender (webhook-id, webhook-timestamp, webhook-signature):
  --whsec <secret>          a v1 secret (whsec_…), repeatable while rotating
  --whpk <key>              a v1a Ed25519 public key (whpk_…), repeatable
  --whpk-jwks <url|file>    v1a Ed25519 keys from the sender's JWKS, as a URL or a file
OAuth 1.0a sender (Authorization: OAuth, or oauth_* in the query or a form body):
  --oauth1-consumer <key:secret>  a consumer key and its secret, repeatable
  --oauth1-token <token:secret>   an oauth_token and its secret (3-legged), repeatable
  --oauth1-origin <url>     the scheme and host the sender signs for (default: listen's own
                            http://<host>:<port>; verify: https:// and the Host header)
  --oauth1-plaintext        also accept PLAINTEXT (needs an https --oauth1-origin)
Both:
  --tolerance <s>           largest distance of the signed timestamp from now (default: 300)`

export interface SenderFlagValues {
  whsec?: string[] | undefined
  whpk?: string[] | undefined
  'whpk-jwks'?: string | undefined
  'oauth1-consumer'?: string[] | undefined
  'oauth1-token'?: string[] | undefined
  'oauth1-origin'?: string | undefined
  'oauth1-plaintext'?: boolean | undefined
  tolerance?: string | undefined
}

/** The senders the flags configure, and how to stop serving a JWKS file. */
export interface FlagSenders {
  readonly senders: InboundSenderOptions[]
  /** The schemes configured, in the order of `senders`. */
  readonly schemes: WebhookScheme[]
  /** True when a JWKS file is served on loopback (plain http must be allowed). */
  readonly insecure: boolean
  close(): Promise<void>
}

/** The sender names the CLI reports, one per scheme. */
export const SENDER_IDS = { 'standard-webhooks': 'standard-webhooks', oauth1: 'oauth1' } as const

/** `name:secret` pairs, split at the first colon: secrets may hold colons, names may not. */
function pairs(values: readonly string[] | undefined, flag: string): Map<string, string> {
  const map = new Map<string, string>()
  for (const value of values ?? []) {
    const colon = value.indexOf(':')
    if (colon < 1) throw new UsageError(`--${flag} must be <key>:<secret> (got ${value})`)
    map.set(value.slice(0, colon), value.slice(colon + 1))
  }
  return map
}

/**
 * Builds the Standard Webhooks and OAuth 1.0a senders the flags describe; none when no flag of a
 * scheme is given. A v1a JWKS file is served on loopback, as `--jwks` files are.
 */
export async function sendersFromFlags(
  values: SenderFlagValues,
  allowInsecureHttp: boolean,
): Promise<FlagSenders> {
  const tolerance = integerFlag(values.tolerance, 'tolerance', 0)
  const windowed = tolerance === undefined ? {} : { tolerance }
  const senders: InboundSenderOptions[] = []
  const schemes: WebhookScheme[] = []
  const secrets = values.whsec ?? []
  const publicKeys = values.whpk ?? []
  const source =
    values['whpk-jwks'] === undefined
      ? undefined
      : await openJwksSource(values['whpk-jwks'], allowInsecureHttp)
  if (secrets.length + publicKeys.length > 0 || source !== undefined) {
    senders.push({
      scheme: 'standard-webhooks',
      id: SENDER_IDS['standard-webhooks'],
      secrets,
      publicKeys,
      ...(source === undefined ? {} : { jwksUri: source.jwksUri, jwks: { timeout: 5000 } }),
      ...windowed,
    })
    schemes.push('standard-webhooks')
  }
  const consumers = pairs(values['oauth1-consumer'], 'oauth1-consumer')
  const tokens = pairs(values['oauth1-token'], 'oauth1-token')
  if (consumers.size === 0 && (tokens.size > 0 || values['oauth1-origin'] !== undefined)) {
    throw new UsageError('--oauth1-token and --oauth1-origin need an --oauth1-consumer')
  }
  if (consumers.size > 0) {
    const origin = values['oauth1-origin']
    senders.push({
      scheme: 'oauth1',
      id: SENDER_IDS.oauth1,
      consumers: (key, token): OAuth1Consumer | undefined => {
        const secret = consumers.get(key)
        if (secret === undefined) return undefined
        const tokenSecret = token === undefined ? undefined : tokens.get(token)
        return tokenSecret === undefined ? { secret } : { secret, tokenSecret }
      },
      ...(origin === undefined ? {} : { origin }),
      ...(values['oauth1-plaintext'] ? { allowPlaintext: true } : {}),
      ...windowed,
    })
    schemes.push('oauth1')
  }
  return {
    senders,
    schemes,
    insecure: source?.insecure ?? false,
    close: async () => source?.close(),
  }
}
