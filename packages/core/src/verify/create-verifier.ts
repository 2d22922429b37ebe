import { WebhookError } from '../errors/webhook-error.js'
import { isSupportedAlgorithm } from '../lib/algorithms.js'
import { MalformedTokenError, parseCompactJws } from '../lib/parse-compact-jws.js'
import type { CompactJws } from '../lib/parse-compact-jws.js'
import { verifySignature } from '#runtime/crypto.js'
import { keyMisfitReason } from '../keys/key-fits-algorithm.js'
import { isUsable } from '../keys/verification-key.js'
import { checkClaims } from './check-claims.js'
import { checkBodyDigest, checkRequestTarget } from './check-request-binding.js'
import { checkTokenType } from './check-token-type.js'
import { instrumentVerifier } from '../telemetry/instrument-verifier.js'
import { normalizeVerifierOptions } from './normalize-verifier-options.js'
import type { IssuerSettings, VerifierSettings } from './normalize-verifier-options.js'
import type { DetectedCredential, InboundScheme } from '../schemes/inbound-scheme.js'
import { findToken, readToken } from './read-token.js'
import { rememberId } from './remember-id.js'
import { replayId } from './replay-id.js'
import type { VerifiedWebhook, Verifier, VerifierOptions, WebhookRequest } from './types.js'

/** A kid is an opaque lookup key; anything longer is not one a JWKS would publish. */
const MAX_KID_LENGTH = 256

/**
 * Creates a verifier for webhooks whose `X-Signature` header holds a JWT signed by one of the
 * configured senders. Options are checked once, here: misuse throws a `TypeError`.
 *
 * Each request goes through: one signature header → strict compact JWS parsing → algorithm
 * allow-list, `kid` and `crit` → the issuer named by `iss`, and its `typ` rule → its JWKS key for
 * `kid` → signature (node:crypto on a cached key) → time, audience, body digest, method and URL
 * claims → replay.
 * `jku`, `x5u`, `jwk` and `x5c` header parameters are ignored: keys only ever come from the JWKS
 * URL in the configuration.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({
 *   issuers: [{
 *     issuer: 'https://partner.example',
 *     jwksUri: 'https://partner.example/.well-known/jwks.json',
 *     audience: 'https://api.example.com/webhooks',
 *   }],
 * })
 * const webhook = await verifier.verify({ method, url, headers, body })
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const settings = normalizeVerifierOptions(options)
  // With JWT senders alone the request goes straight to the token check, as before schemes existed.
  if (settings.schemes.length === 0 && settings.dedicated.size === 0) {
    return instrumentVerifier({ verify: (request) => verifyToken(settings, request) })
  }
  const jwt = settings.issuers.size + settings.dedicated.size > 0
  const schemes = jwt ? [jwtScheme(settings), ...settings.schemes] : settings.schemes
  const carriers = schemes.map((scheme) => scheme.carriers).join(', or ')
  return instrumentVerifier({
    verify: async (request) => {
      checkRequest(request)
      let found: DetectedCredential | undefined
      for (const scheme of schemes) {
        const credential = scheme.detect(request)
        if (credential === undefined) continue
        if (found !== undefined) {
          throw new WebhookError(
            'ERR_SIGNATURE_AMBIGUOUS',
            `the request carries both ${found.scheme} and ${credential.scheme} credentials`,
          )
        }
        found = credential
      }
      if (found === undefined)
        throw new WebhookError('ERR_SIGNATURE_MISSING', `missing ${carriers}`)
      return found.verify()
    },
  })
}

/**
 * The JWT scheme beside others, or with senders of their own headers: a token in the signature
 * header (or a Bearer token when allowed), or in one sender's own header.
 */
function jwtScheme(settings: VerifierSettings): InboundScheme {
  const shared = settings.issuers.size > 0
  const own = [...settings.dedicated].map(([signatureHeader, issuer]) => ({
    source: { signatureHeader, acceptBearer: false, maxTokenLength: settings.maxTokenLength },
    issuer,
  }))
  const carriers = [
    ...(shared ? [settings.signatureHeader] : []),
    ...(shared && settings.acceptBearer ? ['Authorization: Bearer'] : []),
    ...own.map(({ source }) => source.signatureHeader),
  ]
  return {
    name: 'jwt',
    carriers: carriers.join(', or '),
    detect(request) {
      let found: DetectedCredential | undefined
      const add = (token: string | undefined, issuer?: IssuerSettings): void => {
        if (token === undefined) return
        if (found !== undefined) {
          throw new WebhookError('ERR_SIGNATURE_AMBIGUOUS', 'the request carries two JWTs')
        }
        found = { scheme: 'jwt', verify: () => verifyToken(settings, request, token, issuer) }
      }
      if (shared) add(findToken(request.headers, settings))
      for (const { source, issuer } of own) add(findToken(request.headers, source), issuer)
      return found
    },
  }
}

function checkRequest(request: WebhookRequest): void {
  const { method, url, headers, body } = request ?? {}
  if (!(body instanceof Uint8Array)) {
    throw new TypeError('verify: body must be the raw request bytes (a Buffer or Uint8Array)')
  }
  if (typeof method !== 'string' || typeof url !== 'string' || typeof headers !== 'object') {
    throw new TypeError('verify: method, url and headers are required')
  }
}

function parseToken(token: string): CompactJws {
  try {
    return parseCompactJws(token)
  } catch (cause) {
    if (cause instanceof MalformedTokenError) {
      throw new WebhookError('ERR_TOKEN_MALFORMED', cause.message, { cause })
    }
    throw cause
  }
}

/**
 * JWT verifications started and not finished, in every verifier of the process: the thread pool
 * they may share is the process's own.
 */
let verificationsInFlight = 0

/** One JWT through the whole pipeline; without `token`, the request is checked and read first. */
async function verifyToken(
  settings: VerifierSettings,
  request: WebhookRequest,
  token?: string,
  dedicated?: IssuerSettings,
): Promise<VerifiedWebhook> {
  verificationsInFlight++
  try {
    return await checkToken(settings, request, token, dedicated)
  } finally {
    verificationsInFlight--
  }
}

async function checkToken(
  settings: VerifierSettings,
  request: WebhookRequest,
  token: string | undefined,
  dedicated: IssuerSettings | undefined,
): Promise<VerifiedWebhook> {
  if (token === undefined) {
    checkRequest(request)
    token = readToken(request.headers, settings)
  }
  const { method, url, body } = request
  const { header, payload, signingInput, signature } = parseToken(token)

  const { alg, kid, crit } = header
  if (!isSupportedAlgorithm(alg) || !settings.algorithms.has(alg)) {
    throw new WebhookError('ERR_ALG_NOT_ALLOWED', `algorithm ${JSON.stringify(alg)} is not allowed`)
  }
  // hookseal implements no JWS extension, so any critical parameter is one it cannot honour.
  if (crit !== undefined) {
    throw new WebhookError('ERR_CRIT_UNSUPPORTED', 'the token lists critical header parameters')
  }
  if (typeof kid !== 'string' || kid === '' || kid.length > MAX_KID_LENGTH) {
    throw new WebhookError('ERR_KID_MISSING', 'the token header has no usable "kid"')
  }

  const issuer =
    dedicated ?? (typeof payload.iss === 'string' ? settings.issuers.get(payload.iss) : undefined)
  if (issuer === undefined || (issuer.issuer !== null && payload.iss !== issuer.issuer)) {
    throw new WebhookError('ERR_ISSUER_UNKNOWN', 'the token comes from an issuer not configured')
  }
  if (!issuer.algorithms.has(alg)) {
    throw new WebhookError('ERR_ALG_NOT_ALLOWED', `algorithm ${alg} is not allowed for this issuer`)
  }
  checkTokenType(header.typ, issuer.typ)

  // iat is not verified yet: it can only turn a refusal into a retry, never fetch or accept more.
  const key = await issuer.keySet.getKey(
    kid,
    typeof payload.iat === 'number' ? payload.iat : undefined,
  )
  const misfit = isUsable(key) ? keyMisfitReason(key, alg) : key.unusableReason
  if (misfit !== undefined || !isUsable(key)) {
    throw new WebhookError('ERR_KEY_UNUSABLE', `key "${kid}" cannot be used: ${misfit}`)
  }
  // Synchronous on Node when alone (no extra turn of the event loop on the hot path); on the
  // thread pool when others are in flight; a promise elsewhere.
  const verdict = verifySignature(
    alg,
    key.keyObject,
    signingInput,
    signature,
    verificationsInFlight > 1,
  )
  if (!(typeof verdict === 'boolean' ? verdict : await verdict)) {
    throw new WebhookError('ERR_SIGNATURE_INVALID', 'the signature does not verify')
  }

  const { claims, acceptableUntil } = checkClaims(payload, issuer, Date.now() / 1000)
  const bodyDigestVerified = checkBodyDigest(claims, body, issuer.bodyDigest)
  checkRequestTarget(claims, method, url)

  const id = replayId(claims.jti, signingInput, body)
  const sender = issuer.sender
  if (issuer.replay) await rememberId(settings.replayStore, `${sender}\0${id}`, acceptableUntil)
  if (!bodyDigestVerified) settings.emit({ type: 'body-digest-absent', issuer: sender })

  return { scheme: 'jwt', sender, issuer: sender, kid, alg, claims, id, bodyDigestVerified }
}
