import { createVerifier, WebhookError } from '@hookseal/core'
import type { VerifiedWebhook, WebhookErrorCode } from '@hookseal/core'
import { escapeTerminal } from './escape-terminal.js'
import { headerValues } from './header-values.js'
import { bold, dim, green, print, printJson, red, when, yellow } from './output.js'
import type { CapturedRequest } from './parse-http-request.js'
import {
  OAUTH1_STEP_OF_CODE,
  OAUTH1_STEPS,
  STANDARD_WEBHOOKS_STEP_OF_CODE,
  STANDARD_WEBHOOKS_STEPS,
} from './scheme-steps.js'
import type { OAuth1Step, StandardWebhooksStep } from './scheme-steps.js'
import { detectSchemes } from './detect-scheme.js'
import { integerFlag } from './parse-flags.js'
import { parseHttpRequest } from './parse-http-request.js'
import { readInput } from './read-input.js'
import { sendersFromFlags } from './sender-flags.js'
import type { FlagSenders, SenderFlagValues } from './sender-flags.js'
import { EXIT, UsageError } from './usage-error.js'

/** A captured request of a scheme other than JWT, and how to verify and show it. */
export interface SchemeRequestInput {
  readonly scheme: 'standard-webhooks' | 'oauth1'
  readonly request: CapturedRequest
  /** The file the request was read from. */
  readonly from: string
  readonly method: string
  readonly url: string
  readonly body: Buffer
  readonly senders: FlagSenders
  readonly tolerance: number
  readonly explain: boolean
  readonly json: boolean
  readonly notes: readonly string[]
}

/** What explaining a scheme's verdict reads of the request. */
export type SchemeExplainInput = Pick<
  SchemeRequestInput,
  'scheme' | 'request' | 'from' | 'method' | 'url' | 'body' | 'tolerance'
>

type Status = 'pass' | 'fail' | 'skip'

/** One step of a scheme's checklist, as `--explain` prints it and the `--ui` page shows it. */
export interface SchemeStepResult {
  step: string
  status: Status
  detail: string
}

interface Failure {
  code: WebhookErrorCode
  message: string
}

const MARK: Record<Status, string> = { pass: green('✔'), fail: red('✘'), skip: dim('·') }

/** The `name="value"` pairs of an OAuth Authorization header, decoded where they decode. */
function oauthHeaderFields(header: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const [, name = '', value = ''] of header.matchAll(/([\w%.~-]+)="([^"]*)"/g)) {
    try {
      fields[decodeURIComponent(name)] = decodeURIComponent(value)
    } catch {
      fields[name] = value
    }
  }
  return fields
}

/** The request's credentials as the explanation shows them; nothing here is trusted. */
function credentials(input: SchemeExplainInput): Record<string, string> {
  const { rawHeaders } = input.request
  if (input.scheme === 'standard-webhooks') {
    const entries = (headerValues(rawHeaders, 'webhook-signature')[0] ?? '').split(' ')
    return {
      'webhook-id': headerValues(rawHeaders, 'webhook-id')[0] ?? '(missing)',
      'webhook-timestamp': headerValues(rawHeaders, 'webhook-timestamp')[0] ?? '(missing)',
      'webhook-signature': entries.map((entry) => entry.split(',')[0]).join(' '),
    }
  }
  const header = headerValues(rawHeaders, 'authorization').find((v) => /^\s*OAuth\b/i.test(v))
  let fields: Record<string, string>
  if (header !== undefined) {
    fields = oauthHeaderFields(header)
  } else {
    // In the query or a form body (RFC 5849 section 3.5.2 and 3.5.3).
    const query = new URLSearchParams(input.url.split('?')[1] ?? '')
    const source = query.has('oauth_signature')
      ? query
      : new URLSearchParams(input.body.toString('latin1'))
    fields = Object.fromEntries([...source].filter(([name]) => name.startsWith('oauth_')))
  }
  delete fields.oauth_signature
  return fields
}

function signedAt(input: SchemeExplainInput, fields: Record<string, string>): number | undefined {
  const text = input.scheme === 'standard-webhooks' ? fields['webhook-timestamp'] : undefined
  const value = Number(text ?? fields.oauth_timestamp)
  return Number.isSafeInteger(value) ? value : undefined
}

function passReason(
  step: string,
  input: SchemeExplainInput,
  verified: VerifiedWebhook | undefined,
  fields: Record<string, string>,
  now: number,
): string {
  const at = signedAt(input, fields)
  switch (step as StandardWebhooksStep | OAuth1Step) {
    case 'signature found':
      return `one webhook-signature header, in ${input.from}`
    case 'credentials found':
      return `one set of OAuth parameters, in ${input.from}`
    case 'headers parsed':
      return `webhook-id, webhook-timestamp and signatures ${fields['webhook-signature']}`
    case 'parameters parsed':
      return 'consumer key, nonce, timestamp and signature are present'
    case 'method allowed':
      return `${verified?.alg ?? fields.oauth_signature_method} is accepted`
    case 'consumer known':
      if (verified === undefined)
        return `consumer ${JSON.stringify(fields.oauth_consumer_key)} is configured`
      return verified.oauth1?.token === undefined
        ? `consumer ${JSON.stringify(verified.kid)} is configured`
        : `consumer ${JSON.stringify(verified.kid)} and token ${JSON.stringify(verified.oauth1.token)} are configured`
    case 'timestamp window':
      return `signed ${at === undefined ? '?' : when(at, now)}, within ±${input.tolerance} s`
    case 'signature':
      return signatureReason(input, verified)
    case 'body hash':
      return verified?.bodyDigestVerified === true
        ? 'the body is signed (oauth_body_hash, or form parameters)'
        : 'no oauth_body_hash: the signature does not cover this body'
    case 'replay':
      return 'first time this id is seen (in this run)'
  }
}

function signatureReason(input: SchemeExplainInput, verified: VerifiedWebhook | undefined): string {
  // A later step failed: the verifier does not say which key matched.
  if (verified === undefined) return 'the signature verifies with a configured key'
  if (input.scheme === 'oauth1') {
    return verified.alg === 'PLAINTEXT'
      ? 'the secrets match (PLAINTEXT signs nothing of the request)'
      : `the ${verified.alg} signature over ${input.method}, the URL and every parameter verifies`
  }
  const kid = verified.kid
  const [version, key = ''] = kid.split('/')
  const which = key.startsWith('jwk:')
    ? `the JWKS key ${JSON.stringify(key.slice(4))}`
    : `${version === 'v1' ? '--whsec' : '--whpk'} number ${Number(key) + 1}`
  return `${version} signature over id.timestamp.body verifies with ${which}`
}

function failReason(
  step: string,
  failure: Failure,
  input: SchemeExplainInput,
  fields: Record<string, string>,
  now: number,
): string {
  const at = signedAt(input, fields)
  switch (step) {
    case 'timestamp window':
      return `${failure.message}: signed ${at === undefined ? '?' : when(at, now)}`
    case 'signature':
      if (failure.code !== 'ERR_SIGNATURE_INVALID') return failure.message
      return input.scheme === 'oauth1'
        ? `${failure.message}: checked as ${input.method} ${input.url} with ${input.body.length} body bytes (pass --url or --oauth1-origin if the sender signed another URL)`
        : `${failure.message}: checked over ${input.body.length} body bytes with every configured key`
    default:
      return failure.message
  }
}

function explain(
  input: SchemeExplainInput,
  failure: Failure | undefined,
  verified: VerifiedWebhook | undefined,
  fields: Record<string, string>,
  now: number,
): SchemeStepResult[] {
  const steps: readonly string[] =
    input.scheme === 'oauth1' ? OAUTH1_STEPS : STANDARD_WEBHOOKS_STEPS
  const stepOf: Readonly<Partial<Record<WebhookErrorCode, string>>> =
    input.scheme === 'oauth1' ? OAUTH1_STEP_OF_CODE : STANDARD_WEBHOOKS_STEP_OF_CODE
  const failed = failure === undefined ? undefined : stepOf[failure.code]
  const failedAt = failed === undefined ? steps.length : steps.indexOf(failed)
  return steps.map((step, index): SchemeStepResult => {
    if (index > failedAt) {
      return { step, status: 'skip', detail: 'not checked: an earlier step failed' }
    }
    if (index === failedAt && failure !== undefined) {
      return { step, status: 'fail', detail: failReason(step, failure, input, fields, now) }
    }
    return { step, status: 'pass', detail: passReason(step, input, verified, fields, now) }
  })
}

/**
 * The checklist of a Standard Webhooks or OAuth 1.0a verdict: every step, the failing one with its
 * reason, the later ones unchecked.
 */
export function explainSchemeSteps(
  input: SchemeExplainInput,
  failure: Failure | undefined,
  verified: VerifiedWebhook | undefined,
  now: number,
): SchemeStepResult[] {
  return explain(input, failure, verified, credentials(input), now)
}

/**
 * Verifies a captured Standard Webhooks or OAuth 1.0a request with the senders the flags
 * configure, and prints the verdict, the explanation or JSON. Returns the exit code.
 */
export async function verifySchemeRequest(input: SchemeRequestInput): Promise<number> {
  let verified: VerifiedWebhook | undefined
  let failure: Failure | undefined
  try {
    const verifier = createVerifier({
      senders: input.senders.senders,
      allowInsecureHttp: input.senders.insecure,
    })
    verified = await verifier.verify({
      method: input.method,
      url: input.url,
      headers: input.request.rawHeaders,
      body: input.body,
    })
  } catch (cause) {
    if (!(cause instanceof WebhookError)) throw new UsageError((cause as Error).message)
    failure = { code: cause.code, message: cause.message }
  } finally {
    await input.senders.close()
  }

  const now = Date.now() / 1000
  const fields = credentials(input)
  const steps = explain(input, failure, verified, fields, now)
  const valid = failure === undefined
  const who = { scheme: input.scheme, sender: verified?.sender }
  if (input.json) {
    printJson({ valid, ...who, ...(failure ?? {}), steps, credentials: fields, notes: input.notes })
  } else if (input.explain) {
    print(bold(`Credentials (${input.scheme})`))
    for (const [name, value] of Object.entries(fields)) {
      print(`  ${escapeTerminal(name)}: ${escapeTerminal(value)}`)
    }
    print(bold('Checks'))
    for (const { step, status, detail } of steps) {
      // Details quote the request's headers: written by whoever sent it.
      const line = `  ${MARK[status]} ${step.padEnd(19)} ${escapeTerminal(detail)}`
      print(status === 'skip' ? dim(line) : line)
    }
    for (const note of input.notes) print(yellow(`note: ${escapeTerminal(note)}`))
    print(
      valid
        ? green(bold(`VALID: ${input.scheme} from ${verified?.sender}`))
        : red(bold(`INVALID: ${failure?.code}`)),
    )
  } else {
    print(
      valid
        ? green(`valid: ${input.scheme} from ${verified?.sender}`)
        : red(`invalid: ${failure?.code}: ${escapeTerminal(failure?.message ?? '')}`),
    )
  }
  return valid ? EXIT.ok : EXIT.failed
}

/** The flags of `hookseal verify` that a Standard Webhooks or OAuth 1.0a request is verified with. */
export interface SchemeVerifyFlags extends SenderFlagValues {
  request?: string | undefined
  jwks?: string | undefined
  body?: string | undefined
  method?: string | undefined
  url?: string | undefined
  'allow-insecure-http': boolean
  explain: boolean
  json: boolean
}

const FLAGS_OF: Record<'standard-webhooks' | 'oauth1', string> = {
  'standard-webhooks': '--whsec, --whpk or --whpk-jwks',
  oauth1: '--oauth1-consumer',
}

/**
 * Verifies `--request` as Standard Webhooks or OAuth 1.0a when it carries such credentials, or
 * when no `--jwks` says it is a JWT one; undefined leaves it to the JWT verification.
 */
export async function verifySchemeFlags(values: SchemeVerifyFlags): Promise<number | undefined> {
  if (values.request === undefined) return undefined
  const file = values.request
  const request = parseHttpRequest(await readInput(file, 'request file'), file)
  const detected = detectSchemes(request)
  if (detected.length === 0 && values.jwks !== undefined) return undefined
  const senders = await sendersFromFlags(values, values['allow-insecure-http'])
  const scheme = detected[0] ?? senders.schemes.find((s) => s !== 'jwt')
  if (scheme === undefined || scheme === 'jwt') {
    await senders.close()
    return undefined
  }
  if (!senders.schemes.includes(scheme)) {
    await senders.close()
    throw new UsageError(
      `${file} is signed with ${scheme}: configure its sender with ${FLAGS_OF[scheme]}`,
    )
  }
  const body = values.body === undefined ? request.body : await readInput(values.body, 'body file')
  const notes = [
    `method ${request.method} and URL ${request.url} from its request line`,
    values.body === undefined
      ? `body: the ${body.length} bytes after its headers`
      : `body from ${values.body}`,
  ]
  return verifySchemeRequest({
    scheme,
    request,
    from: file,
    method: values.method ?? request.method,
    url: values.url ?? request.url,
    body,
    senders,
    tolerance: integerFlag(values.tolerance, 'tolerance', 0) ?? 300,
    explain: values.explain,
    json: values.json,
    notes,
  })
}
