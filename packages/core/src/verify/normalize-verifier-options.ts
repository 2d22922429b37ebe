import { isSupportedAlgorithm } from '../lib/algorithms.js'
import type { SignatureAlgorithm } from '../lib/algorithms.js'
import { createRemoteKeySet } from '../jwks/create-remote-key-set.js'
import { createKeyFunctionSet } from '../schemes/jwt/create-key-function-set.js'
import type { KeyLookup } from '../schemes/jwt/create-key-function-set.js'
import { createMemoryReplayStore } from '../replay/create-memory-replay-store.js'
import type { ReplayStore } from '../replay/replay-store.js'
import type { ClaimRules } from './check-claims.js'
import { mediaTypeOf } from './check-token-type.js'
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
import { callListener } from '../lib/call-listener.js'
import { failWith } from '../lib/fail-with.js'
import type { Fail } from '../lib/fail-with.js'
import { numberOption } from '../lib/number-option.js'

export interface IssuerSettings extends ClaimRules {
  /** The name reported as `webhook.sender`: the issuer, or the `id` of an `issuer: null` sender. */
  readonly sender: string
  readonly issuer: string | null
  /** The sender's own header, lowercase, when it has one. */
  readonly signatureHeader: string | undefined
  readonly algorithms: ReadonlySet<SignatureAlgorithm>
  readonly bodyDigest: 'required' | 'optional'
  readonly replay: boolean
  /** The `typ` media types accepted, or null to accept any `typ` or none. */
  readonly typ: ReadonlySet<string> | null
  readonly keySet: KeyLookup
}

export interface VerifierSettings extends TokenSource {
  /** Senders whose tokens come in the verifier's signature header, by `iss`. */
  readonly issuers: ReadonlyMap<string, IssuerSettings>
  /** Senders with a header of their own, by that header. */
  readonly dedicated: ReadonlyMap<string, IssuerSettings>
  /** Every algorithm some issuer accepts, to refuse the rest before looking at the payload. */
  readonly algorithms: ReadonlySet<string>
  readonly replayStore: ReplayStore
  readonly emit: (event: VerifierEvent) => void
  /** The schemes other than JWT that senders are configured for; empty on the JWT-only path. */
  readonly schemes: readonly InboundScheme[]
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i

const fail: Fail = failWith('createVerifier')

function isHeaderName(value: unknown): value is string {
  return (
    typeof value === 'string' && HEADER_NAME.test(value) && value.toLowerCase() !== 'authorization'
  )
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}

function seconds(name: string, value: unknown, fallback: number): number {
  return numberOption(fail, name, value, fallback, { allowZero: true, unit: 'seconds' })
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
  const accepted = new Set(algorithms as SignatureAlgorithm[])
  // Whoever accepts EdDSA accepts it under its RFC 9864 name too, and the other way round.
  if (accepted.has('EdDSA') || accepted.has('Ed25519')) accepted.add('EdDSA').add('Ed25519')
  return accepted
}

function normalizeKeySet(
  options: IssuerOptions,
  name: string,
  allowInsecureHttp: boolean,
  emit: (event: VerifierEvent) => void,
): KeyLookup {
  const { jwksUri, keys } = options
  if ((jwksUri === undefined) === (keys === undefined)) {
    fail(`${name} needs exactly one of jwksUri and keys`)
  }
  try {
    if (keys !== undefined) {
      if (typeof keys !== 'function') fail(`keys of ${name} must be a function`)
      return createKeyFunctionSet(keys, options.keyCache)
    }
    return createRemoteKeySet({
      ...options.jwks,
      jwksUri: jwksUri as string | URL,
      allowInsecureHttp,
      onEvent: (event) => emit({ ...event, issuer: name }),
    })
  } catch (cause) {
    fail(`keys of ${name}: ${(cause as Error).message}`)
  }
}

function normalizeTyp(issuer: string, typ: unknown): Set<string> | null {
  if (typ === undefined || typ === null) return null
  const values = typeof typ === 'string' ? [typ] : typ
  if (!Array.isArray(values) || values.length === 0 || !values.every(isNonEmptyString)) {
    fail(`typ of ${issuer} must be a non-empty string, a non-empty array of them, or null`)
  }
  return new Set(values.map(mediaTypeOf))
}

function normalizeIssuer(
  options: IssuerOptions,
  allowInsecureHttp: boolean,
  emit: (event: VerifierEvent) => void,
): IssuerSettings {
  if (typeof options !== 'object' || options === null) fail('each issuer must be an object')
  const { issuer, audience, id, signatureHeader } = options
  if (issuer !== null && !isNonEmptyString(issuer)) {
    fail('issuer must be a non-empty string, or null for a sender chosen by its header')
  }
  if (issuer === null && !isNonEmptyString(id)) fail('a sender with issuer: null needs an id')
  const sender = issuer ?? (id as string)
  if (signatureHeader !== undefined && !isHeaderName(signatureHeader)) {
    fail(`signatureHeader of ${sender} must be a header name`)
  }
  if (issuer === null && signatureHeader === undefined) {
    fail(`${sender} has issuer: null, so it needs a signatureHeader of its own`)
  }
  const audiences = typeof audience === 'string' ? [audience] : audience
  if (
    audiences !== null &&
    (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every(isNonEmptyString))
  ) {
    fail(`audience of ${sender} is required: this receiver's URL or id (or null)`)
  }
  const { maxTokenAge = 300, bodyDigest = 'required', replay = true, requireExp = true } = options
  if (maxTokenAge !== null) seconds(`maxTokenAge of ${sender}`, maxTokenAge, 300)
  if (bodyDigest !== 'required' && bodyDigest !== 'optional') {
    fail(`bodyDigest of ${sender} must be 'required' or 'optional'`)
  }
  if (typeof replay !== 'boolean') fail(`replay of ${sender} must be a boolean`)
  if (typeof requireExp !== 'boolean') fail(`requireExp of ${sender} must be a boolean`)
  if (!requireExp && maxTokenAge === null) {
    fail(
      `requireExp: false for ${sender} needs a maxTokenAge to bound how long tokens are accepted`,
    )
  }

  return {
    sender,
    issuer,
    signatureHeader: signatureHeader?.toLowerCase(),
    audiences: audiences === null ? null : new Set(audiences),
    algorithms: normalizeAlgorithms(sender, options.algorithms),
    clockTolerance: seconds(`clockTolerance of ${sender}`, options.clockTolerance, 30),
    maxTokenAge,
    requireExp,
    bodyDigest,
    replay,
    typ: normalizeTyp(sender, options.typ),
    keySet: normalizeKeySet(options, sender, allowInsecureHttp, emit),
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

  const emit = callListener(onEvent)

  const byIssuer = new Map<string, IssuerSettings>()
  const dedicated = new Map<string, IssuerSettings>()
  const header = signatureHeader.toLowerCase()
  for (const issuerOptions of [...issuers, ...bySchemes.jwt]) {
    const settings = normalizeIssuer(issuerOptions, allowInsecureHttp, emit)
    const own = settings.signatureHeader
    if (own !== undefined && own !== header) {
      if (dedicated.has(own)) fail(`two senders share the signatureHeader ${own}`)
      dedicated.set(own, settings)
      continue
    }
    if (settings.issuer === null) fail(`${settings.sender} needs a signatureHeader of its own`)
    if (byIssuer.has(settings.issuer)) fail(`issuer ${settings.issuer} is configured twice`)
    byIssuer.set(settings.issuer, settings)
  }
  const jwtSenders = [...byIssuer.values(), ...dedicated.values()]

  return {
    issuers: byIssuer,
    dedicated,
    algorithms: new Set(jwtSenders.flatMap((issuer) => [...issuer.algorithms])),
    signatureHeader: header,
    acceptBearer,
    maxTokenLength,
    replayStore,
    emit,
    schemes: [
      ...(bySchemes.standardWebhooks.length > 0
        ? [
            createStandardWebhooksScheme(bySchemes.standardWebhooks, replayStore, {
              allowInsecureHttp,
              emit,
            }),
          ]
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
