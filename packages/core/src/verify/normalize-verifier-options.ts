import { isSupportedAlgorithm } from '../lib/algorithms.js'
import type { SignatureAlgorithm } from '../lib/algorithms.js'
import { createRemoteKeySet } from '../jwks/create-remote-key-set.js'
import type { RemoteKeySet } from '../jwks/types.js'
import { createMemoryReplayStore } from '../replay/create-memory-replay-store.js'
import type { ReplayStore } from '../replay/replay-store.js'
import type { ClaimRules } from './check-claims.js'
import type { TokenSource } from './read-token.js'
import type { InboundScheme } from '../schemes/inbound-scheme.js'
import { createStandardWebhooksScheme } from '../schemes/standard-webhooks/create-standard-webhooks-scheme.js'
import type { StandardWebhooksSenderOptions } from '../schemes/standard-webhooks/types.js'
import { createOAuth1Scheme } from '../schemes/oauth1/create-oauth1-scheme.js'
import type { OAuth1SenderOptions } from '../schemes/oauth1/types.js'
import type {
  IssuerOptions,
  InboundSenderOptions,
  VerifierEvent,
  VerifierOptions,
} from './types.js'

export interface IssuerSettings extends ClaimRules {
  readonly issuer: string
  readonly algorithms: ReadonlySet<SignatureAlgorithm>
  readonly bodyDigest: 'required' | 'optional'
  readonly replay: boolean
  readonly keySet: RemoteKeySet
}

export interface VerifierSettings extends TokenSource {
  readonly issuers: ReadonlyMap<string, IssuerSettings>
  /** Every algorithm some issuer accepts, to refuse the rest before looking at the payload. */
  readonly algorithms: ReadonlySet<string>
  readonly replayStore: ReplayStore
  readonly emit: (event: VerifierEvent) => void
  /** The schemes other than JWT that senders are configured for; empty on the JWT-only path. */
  readonly schemes: readonly InboundScheme[]
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i

function fail(message: string): never {
  throw new TypeError(`createVerifier: ${message}`)
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}

function checkSeconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(`${name} must be a number of seconds, 0 or more`)
  }
  return value
}

function normalizeAlgorithms(issuer: string, algorithms: unknown): Set<SignatureAlgorithm> {
  if (algorithms === undefined) return new Set(['RS256'])
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    fail(`algorithms of ${issuer} must be a non-empty array`)
  }
  for (const alg of algorithms) {
    if (typeof alg === 'string' && /^HS/i.test(alg)) {
      fail(
        `${alg} cannot be verified against a sender's public keys; use RS256, PS256, ES256 or EdDSA`,
      )
    }
    if (!isSupportedAlgorithm(alg)) fail(`algorithm ${JSON.stringify(alg)} is not supported`)
  }
  return new Set(algorithms as SignatureAlgorithm[])
}

function normalizeIssuer(
  options: IssuerOptions,
  allowInsecureHttp: boolean,
  emit: (event: VerifierEvent) => void,
): IssuerSettings {
  if (typeof options !== 'object' || options === null) fail('each issuer must be an object')
  const { issuer, audience } = options
  if (!isNonEmptyString(issuer)) fail('issuer must be a non-empty string')
  const audiences = typeof audience === 'string' ? [audience] : audience
  if (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every(isNonEmptyString)) {
    fail(`audience of ${issuer} is required: this receiver's URL or id`)
  }
  const { maxTokenAge = 300, bodyDigest = 'required', replay = true } = options
  if (maxTokenAge !== null) checkSeconds(`maxTokenAge of ${issuer}`, maxTokenAge, 300)
  if (bodyDigest !== 'required' && bodyDigest !== 'optional') {
    fail(`bodyDigest of ${issuer} must be 'required' or 'optional'`)
  }
  if (typeof replay !== 'boolean') fail(`replay of ${issuer} must be a boolean`)

  let keySet: RemoteKeySet
  try {
    keySet = createRemoteKeySet({
      ...options.jwks,
      jwksUri: options.jwksUri,
      allowInsecureHttp,
      onEvent: (event) => emit({ ...event, issuer }),
    })
  } catch (cause) {
    fail(`jwksUri of ${issuer}: ${(cause as Error).message}`)
  }

  return {
    issuer,
    audiences: new Set(audiences),
    algorithms: normalizeAlgorithms(issuer, options.algorithms),
    clockTolerance: checkSeconds(`clockTolerance of ${issuer}`, options.clockTolerance, 30),
    maxTokenAge,
    bodyDigest,
    replay,
    keySet,
  }
}

/** Validates verifier options once, so that misuse throws at start-up rather than per request. */
export function normalizeVerifierOptions(options: VerifierOptions): VerifierSettings {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const {
    issuers = [],
    senders = [],
    signatureHeader = 'x-signature',
    acceptBearer = false,
    maxTokenLength = 8192,
    replayStore = createMemoryReplayStore(),
    allowInsecureHttp = false,
    onEvent,
  } = options
  if (!Array.isArray(issuers)) fail('issuers must be an array')
  if (!Array.isArray(senders)) fail('senders must be an array')
  if (issuers.length + senders.length === 0) fail('configure at least one sender (or issuer)')
  const bySchemes = groupSenders(senders)
  if (typeof signatureHeader !== 'string' || !HEADER_NAME.test(signatureHeader)) {
    fail('signatureHeader must be a header name')
  }
  if (signatureHeader.toLowerCase() === 'authorization') {
    fail('use acceptBearer to read tokens from the Authorization header')
  }
  if (typeof acceptBearer !== 'boolean') fail('acceptBearer must be a boolean')
  if (!Number.isSafeInteger(maxTokenLength) || maxTokenLength < 1) {
    fail('maxTokenLength must be a positive integer')
  }
  if (typeof replayStore?.remember !== 'function') fail('replayStore must have a remember method')
  if (typeof allowInsecureHttp !== 'boolean') fail('allowInsecureHttp must be a boolean')
  if (onEvent !== undefined && typeof onEvent !== 'function') fail('onEvent must be a function')

  // A listener that throws must never turn a verification into a crash.
  const emit = (event: VerifierEvent): void => {
    try {
      onEvent?.(event)
    } catch {
      // Listener errors are the listener's concern.
    }
  }

  const byIssuer = new Map<string, IssuerSettings>()
  for (const issuerOptions of [...issuers, ...bySchemes.jwt]) {
    const settings = normalizeIssuer(issuerOptions, allowInsecureHttp, emit)
    if (byIssuer.has(settings.issuer)) fail(`issuer ${settings.issuer} is configured twice`)
    byIssuer.set(settings.issuer, settings)
  }

  return {
    issuers: byIssuer,
    algorithms: new Set([...byIssuer.values()].flatMap((issuer) => [...issuer.algorithms])),
    signatureHeader: signatureHeader.toLowerCase(),
    acceptBearer,
    maxTokenLength,
    replayStore,
    emit,
    schemes: [
      ...(bySchemes.standardWebhooks.length > 0
        ? [createStandardWebhooksScheme(bySchemes.standardWebhooks, replayStore)]
        : []),
      ...(bySchemes.oauth1.length > 0
        ? [createOAuth1Scheme(bySchemes.oauth1, replayStore, emit)]
        : []),
    ],
  }
}

/** Senders sorted by scheme; an unknown scheme is a configuration mistake. */
function groupSenders(senders: readonly InboundSenderOptions[]): {
  jwt: IssuerOptions[]
  standardWebhooks: StandardWebhooksSenderOptions[]
  oauth1: OAuth1SenderOptions[]
} {
  const groups = {
    jwt: [] as IssuerOptions[],
    standardWebhooks: [] as StandardWebhooksSenderOptions[],
    oauth1: [] as OAuth1SenderOptions[],
  }
  for (const sender of senders) {
    if (typeof sender !== 'object' || sender === null) fail('each sender must be an object')
    switch (sender.scheme) {
      case 'jwt':
        groups.jwt.push(sender)
        break
      case 'standard-webhooks':
        groups.standardWebhooks.push(sender)
        break
      case 'oauth1':
        groups.oauth1.push(sender)
        break
      default:
        fail(`unknown scheme ${JSON.stringify((sender as { scheme?: unknown }).scheme)}`)
    }
  }
  return groups
}
