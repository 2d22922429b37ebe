import { hash } from 'node:crypto'
import { createVerifier, SUPPORTED_ALGORITHMS, WebhookError } from '@hookseal/core'
import type { SignatureAlgorithm, VerifiedWebhook, WebhookErrorCode } from '@hookseal/core'
import { STEPS, stepOf } from '../explain-steps.js'
import type { Step } from '../explain-steps.js'
import { escapeTerminal } from '../escape-terminal.js'
import { headerValues } from '../header-values.js'
import { openJwksSource } from '../jwks-source.js'
import {
  bold,
  dim,
  green,
  jsonText,
  localTime,
  print,
  printJson,
  red,
  relative,
  when,
  yellow,
} from '../output.js'
import { integerFlag, parseFlags, required } from '../parse-flags.js'
import { parseHttpRequest } from '../parse-http-request.js'
import type { CapturedRequest } from '../parse-http-request.js'
import { readInput } from '../read-input.js'
import { SENDER_FLAGS, SENDER_HELP } from '../sender-flags.js'
import { verifySchemeFlags } from '../verify-scheme-request.js'
import { EXIT, UsageError } from '../usage-error.js'

export const help = `Usage: hookseal verify (--token <jwt> | --token-file <file> | --request <file>)
                      --jwks <url|file> [options]
       hookseal verify --request <file> (--whsec <secret> | --whpk <key> | --whpk-jwks <url|file>
                      | --oauth1-consumer <key:secret>) [options]

Verifies a webhook with the same verifier a receiver runs: a JWT (X-Signature or Bearer) against
the sender's JWKS, or a captured Standard Webhooks or OAuth 1.0a request against the sender the
flags below configure (the scheme is read from the request's headers). With --explain, prints
every step of that scheme as a checklist line with the reason for a failure. Exit code 0 only when
the webhook is valid.

Options:
  --token <jwt>             the X-Signature value
  --token-file <file>       a file holding the token
  --request <file>          a captured HTTP request (request line, headers, blank line, body):
                            token, method, URL and body are all read from it
  --body <file>             the exact body bytes (default: the captured request's body, or empty)
  --jwks <url|file>         the sender's JWKS, as a URL or a file
  --issuer <iss>            the sender as the receiver configures it (default: the token's iss)
  --audience <aud>          this receiver's URL or id (default: the token's aud, not checked)
  --alg <alg>               an accepted algorithm, repeatable (default: all supported)
  --method <method>         the request method (default: the captured request's, or POST)
  --url <url>               the request URL or path (default: the captured request's target,
                            or the token's htu)
  --signature-header <name> the header the receiver reads the token from (default: x-signature)
  --accept-bearer           the receiver also accepts Authorization: Bearer <token>
  --clock-tolerance <s>     leeway for time claims, in seconds (default: 30)
  --max-token-age <s>       oldest accepted iat, in seconds (default: 300)
  --body-digest-optional    accept a token without request_body_sha256
  --allow-insecure-http     allow a plain-http JWKS URL on loopback
  --explain                 show each step
  --json                    machine-readable result

${SENDER_HELP}

Example:
  hookseal verify --explain --request captured.http --jwks https://partner.example/jwks.json \\
    --audience https://api.example.com/webhooks
  hookseal verify --explain --request captured.http --whsec whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`

type Status = 'pass' | 'fail' | 'skip'

export interface StepResult {
  step: Step
  status: Status
  detail: string
}

/** Decodes one token segment for display only; the verifier does its own strict parsing. */
export function decodeSegment(segment: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8'))
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

function audiencesOf(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud]
  return Array.isArray(aud) ? aud.filter((value): value is string => typeof value === 'string') : []
}

export interface TokenInput {
  token: string | undefined
  /** Where the token was read from, as the explanation names it. */
  from: string
  request?: CapturedRequest
}

/**
 * The token a receiver would read from a captured request, for decoding and explaining; the
 * verifier reads the same headers itself and refuses a missing or repeated one.
 */
export function tokenOfRequest(
  request: CapturedRequest,
  file: string,
  signatureHeader: string,
  acceptBearer: boolean,
): TokenInput {
  const signature = headerValues(request.rawHeaders, signatureHeader)[0]
  if (signature !== undefined) {
    return { token: signature, from: `the ${signatureHeader} header of ${file}`, request }
  }
  const bearer = /^bearer +(\S+)$/i.exec(headerValues(request.rawHeaders, 'authorization')[0] ?? '')
  if (bearer && acceptBearer) {
    return { token: bearer[1], from: `the Authorization: Bearer header of ${file}`, request }
  }
  return { token: undefined, from: file, request }
}

async function readTokenInput(
  values: {
    token?: string | undefined
    'token-file'?: string | undefined
    request?: string | undefined
  },
  signatureHeader: string,
  acceptBearer: boolean,
): Promise<TokenInput> {
  const given = [values.token, values['token-file'], values.request].filter((v) => v !== undefined)
  if (given.length !== 1)
    throw new UsageError('give exactly one of --token, --token-file, --request')
  if (values.token !== undefined) return { token: values.token.trim(), from: '--token' }
  if (values['token-file'] !== undefined) {
    const file = values['token-file']
    return { token: (await readInput(file, 'token file')).toString('utf8').trim(), from: file }
  }
  const file = values.request as string
  const request = parseHttpRequest(await readInput(file, 'request file'), file)
  return tokenOfRequest(request, file, signatureHeader, acceptBearer)
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    token: { type: 'string' },
    'token-file': { type: 'string' },
    request: { type: 'string' },
    body: { type: 'string' },
    jwks: { type: 'string' },
    issuer: { type: 'string' },
    audience: { type: 'string' },
    alg: { type: 'string', multiple: true },
    method: { type: 'string' },
    url: { type: 'string' },
    'signature-header': { type: 'string', default: 'x-signature' },
    'accept-bearer': { type: 'boolean', default: false },
    'clock-tolerance': { type: 'string' },
    'max-token-age': { type: 'string' },
    'body-digest-optional': { type: 'boolean', default: false },
    'allow-insecure-http': { type: 'boolean', default: false },
    explain: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    ...SENDER_FLAGS,
  })
  if (values.help) return (print(help), EXIT.ok)
  const schemeExit = await verifySchemeFlags(values)
  if (schemeExit !== undefined) return schemeExit
  const jwks = required(values.jwks, 'jwks')
  const signatureHeader = values['signature-header'].toLowerCase()
  if (!/^[!#$%&'*+.^\w`|~-]+$/.test(signatureHeader)) {
    throw new UsageError(`--signature-header must be a header name (got ${signatureHeader})`)
  }
  const input = await readTokenInput(values, signatureHeader, values['accept-bearer'])
  const { request } = input
  const body =
    values.body !== undefined
      ? await readInput(values.body, 'body file')
      : (request?.body ?? Buffer.alloc(0))
  const algorithms = (values.alg ?? [...SUPPORTED_ALGORITHMS]) as SignatureAlgorithm[]
  for (const alg of algorithms) {
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new UsageError(`--alg ${alg} is not supported; use ${SUPPORTED_ALGORITHMS.join(', ')}`)
    }
  }
  const clockTolerance = integerFlag(values['clock-tolerance'], 'clock-tolerance', 0)
  const maxTokenAge = integerFlag(values['max-token-age'], 'max-token-age', 0)

  const segments = input.token?.split('.') ?? []
  const header = decodeSegment(segments[0])
  const claims = decodeSegment(segments[1])
  const notes: string[] = []
  const issuer = values.issuer ?? (typeof claims?.iss === 'string' ? claims.iss : undefined)
  if (values.issuer === undefined)
    notes.push('issuer taken from the token (pass --issuer to check it)')
  const audience = values.audience ?? audiencesOf(claims?.aud)
  if (values.audience === undefined)
    notes.push('audience taken from the token (pass --audience to check it)')
  const method = values.method ?? request?.method ?? 'POST'
  const url = values.url ?? request?.url ?? (typeof claims?.htu === 'string' ? claims.htu : '/')
  if (request !== undefined) notes.push(...requestNotes(request, input, values.body))

  const source = await openJwksSource(jwks, values['allow-insecure-http'])
  let verified: VerifiedWebhook | undefined
  let failure: { code: WebhookErrorCode; message: string } | undefined
  try {
    if (issuer === undefined || audience.length === 0) {
      // Without an issuer or audience there is nothing to configure; the verifier still names the
      // first step that fails, against a placeholder sender.
      notes.push('the token names no usable iss or aud')
    }
    const verifier = createVerifier({
      issuers: [
        {
          issuer: issuer ?? 'urn:hookseal:unknown-issuer',
          jwksUri: source.jwksUri,
          audience: audience.length > 0 ? audience : ['urn:hookseal:unknown-audience'],
          algorithms,
          ...(clockTolerance === undefined ? {} : { clockTolerance }),
          ...(maxTokenAge === undefined ? {} : { maxTokenAge }),
          bodyDigest: values['body-digest-optional'] ? 'optional' : 'required',
          jwks: { timeout: 5000 },
        },
      ],
      signatureHeader,
      acceptBearer: values['accept-bearer'],
      allowInsecureHttp: source.insecure,
    })
    const headers = request?.rawHeaders ?? [signatureHeader, input.token ?? '']
    verified = await verifier.verify({ method, url, headers, body })
  } catch (cause) {
    if (!(cause instanceof WebhookError)) {
      throw new UsageError((cause as Error).message)
    }
    failure = { code: cause.code, message: cause.message }
  } finally {
    await source.close()
  }

  const now = Date.now() / 1000
  const steps = explain({
    failure,
    verified,
    header,
    claims,
    body,
    now,
    kids: source.kids,
    method,
    url,
    from: input.from,
  })
  const valid = failure === undefined
  if (values.json) {
    printJson({ valid, ...(failure ?? {}), steps, header, claims, notes })
  } else if (values.explain) {
    printExplanation(steps, header, claims, notes, now)
    print(valid ? green(bold('VALID')) : red(bold(`INVALID: ${failure?.code}`)))
  } else {
    print(
      valid
        ? green('valid')
        : red(`invalid: ${failure?.code}: ${escapeTerminal(failure?.message ?? '')}`),
    )
  }
  return valid ? EXIT.ok : EXIT.failed
}

/** What the explanation says about a captured request: where each input came from. */
function requestNotes(request: CapturedRequest, input: TokenInput, bodyFile?: string): string[] {
  const notes = [
    input.token === undefined ? `no token found in ${input.from}` : `token read from ${input.from}`,
    `method ${request.method} and URL ${request.url} from its request line`,
  ]
  if (bodyFile === undefined) {
    notes.push(`body: the ${request.body.length} bytes after its headers`)
    const declared = headerValues(request.rawHeaders, 'content-length')[0]
    if (declared !== undefined && Number(declared) !== request.body.length) {
      notes.push(`its Content-Length says ${declared} bytes: was the body saved with a change?`)
    }
  }
  if (input.token === undefined && headerValues(request.rawHeaders, 'authorization').length > 0) {
    notes.push(
      'it has an Authorization header: pass --accept-bearer if the receiver accepts Bearer',
    )
  }
  return notes
}

export interface ExplainInput {
  failure: { code: WebhookErrorCode; message: string } | undefined
  verified: VerifiedWebhook | undefined
  header: Record<string, unknown> | undefined
  claims: Record<string, unknown> | undefined
  body: Buffer
  now: number
  kids: string[] | undefined
  method: string
  url: string
  /** Where the token came from. */
  from: string
}

/**
 * Steps before the failing one passed (the verifier reached the failure); later ones are unchecked.
 * A refusal no verifier step makes leaves them all passed, and the verdict names it.
 */
export function explain(input: ExplainInput): StepResult[] {
  const { failure, header, claims, now } = input
  const failed = failure === undefined ? undefined : stepOf(failure.code)
  const failedAt = failed === undefined ? STEPS.length : STEPS.indexOf(failed)
  return STEPS.map((step, index): StepResult => {
    if (index > failedAt)
      return { step, status: 'skip', detail: 'not checked: an earlier step failed' }
    if (index === failedAt && failure !== undefined) {
      return { step, status: 'fail', detail: failReason(step, failure.message, input) }
    }
    return { step, status: 'pass', detail: passReason(step, header, claims, input, now) }
  })
}

function time(claims: Record<string, unknown> | undefined, name: string, now: number): string {
  const value = claims?.[name]
  return typeof value === 'number' ? when(value, now) : 'not set'
}

function passReason(
  step: Step,
  header: Record<string, unknown> | undefined,
  claims: Record<string, unknown> | undefined,
  input: ExplainInput,
  now: number,
): string {
  switch (step) {
    case 'token found':
      return `exactly one signature, in ${input.from}`
    case 'header parsed':
      return 'a compact JWS with a JSON header and payload'
    case 'alg allowed':
      return `${String(header?.alg)} is accepted`
    case 'issuer known':
      return `iss ${JSON.stringify(claims?.iss)} is a configured sender`
    case 'typ accepted':
      return header?.typ === undefined
        ? 'no typ, and none required'
        : `typ ${JSON.stringify(header.typ)} is accepted`
    case 'key found':
      return `the JWKS has kid ${JSON.stringify(header?.kid)}`
    case 'key usable':
      return `the key fits ${String(header?.alg)}`
    case 'signature':
      return 'the signature verifies with that key'
    case 'claims well-formed':
      return 'exp, nbf, iat and jti have the right types'
    case 'claim exp':
      return `expires ${time(claims, 'exp', now)}`
    case 'claim nbf':
      return claims?.nbf === undefined ? 'not set' : `valid from ${time(claims, 'nbf', now)}`
    case 'claim iat':
      return `issued ${time(claims, 'iat', now)}`
    case 'claim aud':
      return `meant for ${JSON.stringify(claims?.aud)}`
    case 'body digest':
      return input.verified?.bodyDigestVerified === false
        ? 'no request_body_sha256 in the token: the body is not bound to it'
        : 'request_body_sha256 matches the body'
    case 'method and URL':
      return requestBinding(claims, input)
    case 'replay':
      return 'first time this webhook is seen (in this run)'
  }
}

/** Which of the method and URL the token binds, and what it was compared with. */
function requestBinding(claims: Record<string, unknown> | undefined, input: ExplainInput): string {
  const bound = [
    claims?.htm === undefined ? undefined : `htm ${JSON.stringify(claims.htm)}`,
    claims?.htu === undefined ? undefined : `htu ${JSON.stringify(claims.htu)}`,
  ].filter((part) => part !== undefined)
  if (bound.length === 0) return 'the token binds neither method nor URL (no htm, no htu)'
  const pathOnly = URL.canParse(input.url)
    ? ''
    : ' (the path only: the request names no scheme and host)'
  return `${bound.join(' and ')} match ${input.method} ${input.url}${pathOnly}`
}

function failReason(step: Step, message: string, input: ExplainInput): string {
  const { claims, now } = input
  switch (step) {
    case 'key found':
      return input.kids === undefined
        ? message
        : `${message}; the JWKS file has kids ${input.kids.map((kid) => JSON.stringify(kid)).join(', ') || 'none'}`
    case 'claim exp':
      return typeof claims?.exp === 'number'
        ? `expired ${relative(claims.exp, now)} (at ${localTime(claims.exp)})`
        : message
    case 'claim nbf':
      return `${message}: valid from ${time(claims, 'nbf', now)}`
    case 'claim iat':
      return `${message}: issued ${time(claims, 'iat', now)}`
    case 'claim aud':
      return `${message}: the token is for ${JSON.stringify(claims?.aud)}`
    case 'body digest': {
      const actual = hash('sha256', input.body, 'hex')
      return typeof claims?.request_body_sha256 === 'string'
        ? `${message}: signed ${claims.request_body_sha256}, body has ${actual} (${input.body.length} bytes)`
        : message
    }
    case 'method and URL':
      return `${message}: the token has htm ${JSON.stringify(claims?.htm)} and htu ${JSON.stringify(claims?.htu)}, the request is ${input.method} ${input.url}`
    default:
      return message
  }
}

const MARK: Record<Status, string> = { pass: green('✔'), fail: red('✘'), skip: dim('·') }

function printExplanation(
  steps: StepResult[],
  header: Record<string, unknown> | undefined,
  claims: Record<string, unknown> | undefined,
  notes: string[],
  now: number,
): void {
  print(bold('Header'))
  print(header === undefined ? '  (cannot be decoded)' : indent(jsonText(header)))
  print(bold('Claims'))
  if (claims === undefined) {
    print('  (cannot be decoded)')
  } else {
    print(indent(jsonText(claims)))
    for (const name of ['iat', 'nbf', 'exp']) {
      if (typeof claims[name] === 'number') print(`  ${name}: ${when(claims[name], now)}`)
    }
  }
  print(bold('Checks'))
  for (const { step, status, detail } of steps) {
    // Details quote the token, the JWKS and the request: all written by the other party.
    const line = `  ${MARK[status]} ${step.padEnd(19)} ${escapeTerminal(detail)}`
    print(status === 'skip' ? dim(line) : line)
  }
  for (const note of notes) print(yellow(`note: ${escapeTerminal(note)}`))
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ')
}
