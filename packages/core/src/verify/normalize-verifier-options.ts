import { isSupportedAlgorithm } from '../lib/algorithms.js'
import type { SignatureAlgorithm } from '../lib/algorithms.js'
import { createRemoteKeySet } from '../jwks/create-remote-key-set.js'
import type { RemoteKeySet } from '../jwks/types.js'
import { createMemoryReplayStore } from '../replay/create-memory-replay-store.js'
import type { ReplayStore } from '../replay/replay-store.js'
import type { ClaimRules } from './check-claims.js'
import { mediaTypeOf } from './check-token-type.js'
import type { TokenSource } from './read-token.js'
import type { IssuerOptions, VerifierEvent, VerifierOptions } from './types.js'
import { callListener } from '../lib/call-listener.js'
import { failWith } from '../lib/fail-with.js'
import type { Fail } from '../lib/fail-with.js'
import { numberOption } from '../lib/number-option.js'

export interface IssuerSettings extends ClaimRules {
  readonly issuer: string
  readonly algorithms: ReadonlySet<SignatureAlgorithm>
  readonly bodyDigest: 'required' | 'optional'
  readonly replay: boolean
  /** The `typ` media types accepted, or null to accept any `typ` or none. */
  readonly typ: ReadonlySet<string> | null
  readonly keySet: RemoteKeySet
}

export interface VerifierSettings extends TokenSource {
  readonly issuers: ReadonlyMap<string, IssuerSettings>
  /** Every algorithm some issuer accepts, to refuse the rest before looking at the payload. */
  readonly algorithms: ReadonlySet<string>
  readonly replayStore: ReplayStore
  readonly emit: (event: VerifierEvent) => void
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i

const fail: Fail = failWith('createVerifier')

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
  return new Set(algorithms as SignatureAlgorithm[])
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
  const { issuer, audience } = options
  if (!isNonEmptyString(issuer)) fail('issuer must be a non-empty string')
  const audiences = typeof audience === 'string' ? [audience] : audience
  if (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every(isNonEmptyString)) {
    fail(`audience of ${issuer} is required: this receiver's URL or id`)
  }
  const { maxTokenAge = 300, bodyDigest = 'required', replay = true } = options
  if (maxTokenAge !== null) seconds(`maxTokenAge of ${issuer}`, maxTokenAge, 300)
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
    clockTolerance: seconds(`clockTolerance of ${issuer}`, options.clockTolerance, 30),
    maxTokenAge,
    bodyDigest,
    replay,
    typ: normalizeTyp(issuer, options.typ),
    keySet,
  }
}

/** Validates verifier options once, so that misuse throws at start-up rather than per request. */
export function normalizeVerifierOptions(options: VerifierOptions): VerifierSettings {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const {
    issuers,
    signatureHeader = 'x-signature',
    acceptBearer = false,
    maxTokenLength = 8192,
    replayStore = createMemoryReplayStore(),
    allowInsecureHttp = false,
    onEvent,
  } = options
  if (!Array.isArray(issuers) || issuers.length === 0) fail('issuers must be a non-empty array')
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
  for (const issuerOptions of issuers) {
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
  }
}
