import { WebhookError } from '@hookseal/core'
import type { VerifiedWebhook } from '@hookseal/core'
import { decodeSegment, explain, tokenOfRequest } from '../commands/verify.js'
import { detectSchemes } from '../detect-scheme.js'
import { headerValues } from '../header-values.js'
import { explainSchemeSteps } from '../verify-scheme-request.js'
import type { SchemeStepResult } from '../verify-scheme-request.js'

/** A request as the receiver got it, with what the verifier made of it. */
export interface Arrival {
  method: string
  url: string
  rawHeaders: string[]
  /** The body, or undefined when it was refused before it was read whole (too large, too slow). */
  body: Buffer | undefined
  /** The verified webhook, or the refusal. */
  outcome: { webhook: VerifiedWebhook } | { error: unknown }
  status: number
}

/** What the receiver's verifier is configured with, for explaining its verdicts. */
export interface ExplainContext {
  signatureHeader: string
  /** The kids of a JWKS file, to name them when a kid is not found. */
  kids: string[] | undefined
  /** The Standard Webhooks and OAuth 1.0a timestamp window, in seconds. */
  tolerance: number
}

/** One request as the page shows it; only `body` may be cut short. */
export interface LoggedRequest {
  /** Arrival time, epoch milliseconds. */
  at: number
  method: string
  url: string
  rawHeaders: string[]
  /** At most the log's body limit of the bytes received. */
  body: Buffer
  /** How many bytes arrived, or undefined when the body was refused unread. */
  bodyBytes: number | undefined
  truncated: boolean
  scheme: string
  /** The verified sender, or the one the request claims (`senderVerified` false). */
  sender: string | undefined
  senderVerified: boolean
  valid: boolean
  status: number
  code: string | undefined
  message: string | undefined
  /** The checklist of the scheme the request used (a JWT's when it used none). */
  steps: SchemeStepResult[]
  header: Record<string, unknown> | undefined
  claims: Record<string, unknown> | undefined
}

/**
 * The scheme a refused request looks like it used, for the list only: the verifier decides by its
 * own reading of the headers, and a verified webhook carries the scheme it decided on.
 */
function schemeOfHeaders(
  request: { rawHeaders: readonly string[]; url: string; body: Uint8Array },
  signatureHeader: string,
): string {
  const [other] = detectSchemes(request)
  if (other !== undefined) return other
  const authorization = headerValues(request.rawHeaders, 'authorization')[0] ?? ''
  if (
    headerValues(request.rawHeaders, signatureHeader).length > 0 ||
    /^bearer\s/i.test(authorization)
  ) {
    return 'jwt'
  }
  return '-'
}

/**
 * Builds the page's record of one request with the same explanation `hookseal verify --explain`
 * prints, so every step the verifier takes, for every scheme it learns, shows in the page.
 */
export function describeArrival(
  arrival: Arrival,
  context: ExplainContext,
  bodyLimit: number,
  now = Date.now(),
): LoggedRequest {
  const { method, url, rawHeaders } = arrival
  const body = arrival.body ?? Buffer.alloc(0)
  const input = tokenOfRequest(
    { method, url, rawHeaders, body },
    'the request',
    context.signatureHeader,
    false,
  )
  const segments = input.token?.split('.') ?? []
  const header = segments.length === 3 ? decodeSegment(segments[0]) : undefined
  const claims = segments.length === 3 ? decodeSegment(segments[1]) : undefined
  const verified = 'webhook' in arrival.outcome ? arrival.outcome.webhook : undefined
  const error = 'error' in arrival.outcome ? arrival.outcome.error : undefined
  const failure =
    error instanceof WebhookError ? { code: error.code, message: error.message } : undefined
  const scheme =
    verified?.scheme ?? schemeOfHeaders({ rawHeaders, url, body }, context.signatureHeader)
  let steps: SchemeStepResult[] =
    scheme === 'standard-webhooks' || scheme === 'oauth1'
      ? explainSchemeSteps(
          {
            scheme,
            request: { method, url, rawHeaders, body },
            from: 'the request',
            method,
            url,
            body,
            tolerance: context.tolerance,
          },
          failure,
          verified,
          now / 1000,
        )
      : explainJwt()
  function explainJwt(): SchemeStepResult[] {
    return explain({
      failure,
      verified,
      header,
      claims,
      body,
      now: now / 1000,
      kids: context.kids,
      method,
      url,
      from: input.from,
    })
  }
  if (arrival.body === undefined || (error !== undefined && failure === undefined)) {
    // The verifier never ran (the body was refused first) or broke: no step was checked.
    const detail = 'not checked: the request was refused before verification'
    steps = steps.map((step) => ({ ...step, status: 'skip', detail }))
  }
  const claimedIssuer = typeof claims?.iss === 'string' ? claims.iss : undefined
  const kept = body.subarray(0, bodyLimit)
  return {
    at: now,
    method,
    url,
    rawHeaders,
    // A copy, so that a kept prefix does not pin a large received buffer in memory.
    body: Buffer.from(kept),
    bodyBytes: arrival.body?.length,
    truncated: kept.length < body.length,
    scheme,
    sender: verified?.sender ?? claimedIssuer,
    senderVerified: verified !== undefined,
    valid: verified !== undefined,
    status: arrival.status,
    code:
      error instanceof WebhookError ? error.code : error === undefined ? undefined : 'ERR_INTERNAL',
    message: error instanceof Error ? error.message : undefined,
    steps,
    header,
    claims,
  }
}
