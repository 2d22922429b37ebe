import { hash } from 'node:crypto'
import { createVerifier, SUPPORTED_ALGORITHMS, WebhookError } from '@hookseal/core'
import type { SignatureAlgorithm, VerifiedWebhook, WebhookErrorCode } from '@hookseal/core'
import { STEPS, stepOf } from '../explain-steps.js'
import type { Step } from '../explain-steps.js'
import { openJwksSource } from '../jwks-source.js'
import {
  bold,
  dim,
  green,
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
import { readInput } from '../read-input.js'
import { EXIT, UsageError } from '../usage-error.js'

export const help = `Usage: hookseal verify (--token <jwt> | --token-file <file> | --request <file>)
                      --jwks <url|file> [options]

Verifies a webhook token with the same verifier a receiver runs. With --explain, prints every
step as a checklist line with the reason for a failure. Exit code 0 only when the webhook is valid.

Options:
  --token <jwt>             the X-Signature value
  --token-file <file>       a file holding the token
  --request <file>          a captured HTTP request (request line, headers, blank line, body)
  --body <file>             the exact body bytes (default: the captured request's body, or empty)
  --jwks <url|file>         the sender's JWKS, as a URL or a file
  --issuer <iss>            the sender as the receiver configures it (default: the token's iss)
  --audience <aud>          this receiver's URL or id (default: the token's aud, not checked)
  --alg <alg>               an accepted algorithm, repeatable (default: all supported)
  --method <method>         the request method (default: POST)
  --url <url>               the request URL or path (default: the token's htu)
  --clock-tolerance <s>     leeway for time claims, in seconds (default: 30)
  --max-token-age <s>       oldest accepted iat, in seconds (default: 300)
  --body-digest-optional    accept a token without request_body_sha256
  --allow-insecure-http     allow a plain-http JWKS URL on loopback
  --explain                 show each step
  --json                    machine-readable result

Example:
  hookseal verify --explain --request captured.http --jwks https://partner.example/jwks.json \\
    --audience https://api.example.com/webhooks`

type Status = 'pass' | 'fail' | 'skip'

interface StepResult {
  step: Step
  status: Status
  detail: string
}

/** Decodes one token segment for display only; the verifier does its own strict parsing. */
function decodeSegment(segment: string | undefined): Record<string, unknown> | undefined {
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

async function readTokenInput(values: {
  token?: string | undefined
  'token-file'?: string | undefined
  request?: string | undefined
}): Promise<{
  token?: string
  method?: string
  url?: string
  rawHeaders?: string[]
  body?: Buffer
}> {
  const given = [values.token, values['token-file'], values.request].filter((v) => v !== undefined)
  if (given.length !== 1)
    throw new UsageError('give exactly one of --token, --token-file, --request')
  if (values.token !== undefined) return { token: values.token.trim() }
  if (values['token-file'] !== undefined) {
    return { token: (await readInput(values['token-file'], 'token file')).toString('utf8').trim() }
  }
  const request = parseHttpRequest(
    await readInput(values.request as string, 'request file'),
    values.request as string,
  )
  return { ...request }
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
    'clock-tolerance': { type: 'string' },
    'max-token-age': { type: 'string' },
    'body-digest-optional': { type: 'boolean', default: false },
    'allow-insecure-http': { type: 'boolean', default: false },
    explain: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  })
  if (values.help) return (print(help), EXIT.ok)
  const jwks = required(values.jwks, 'jwks')
  const input = await readTokenInput(values)
  const body =
    values.body !== undefined
      ? await readInput(values.body, 'body file')
      : (input.body ?? Buffer.alloc(0))
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
  const method = values.method ?? input.method ?? 'POST'
  const url = values.url ?? input.url ?? (typeof claims?.htu === 'string' ? claims.htu : '/')

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
      allowInsecureHttp: source.insecure,
    })
    const headers = input.rawHeaders ?? ['x-signature', input.token ?? '']
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
  const steps = explain({ failure, verified, header, claims, body, now, kids: source.kids })
  const valid = failure === undefined
  if (values.json) {
    printJson({ valid, ...(failure ?? {}), steps, header, claims, notes })
  } else if (values.explain) {
    printExplanation(steps, header, claims, notes, now)
    print(valid ? green(bold('VALID')) : red(bold(`INVALID: ${failure?.code}`)))
  } else {
    print(valid ? green('valid') : red(`invalid: ${failure?.code}: ${failure?.message}`))
  }
  return valid ? EXIT.ok : EXIT.failed
}

interface ExplainInput {
  failure: { code: WebhookErrorCode; message: string } | undefined
  verified: VerifiedWebhook | undefined
  header: Record<string, unknown> | undefined
  claims: Record<string, unknown> | undefined
  body: Buffer
  now: number
  kids: string[] | undefined
}

/** Steps before the failing one passed (the verifier reached the failure); later ones are unchecked. */
function explain(input: ExplainInput): StepResult[] {
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
      return 'exactly one signature'
    case 'header parsed':
      return 'a compact JWS with a JSON header and payload'
    case 'alg allowed':
      return `${String(header?.alg)} is accepted`
    case 'issuer known':
      return `iss ${JSON.stringify(claims?.iss)} is a configured sender`
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
      return 'htm and htu match the request (when present)'
    case 'replay':
      return 'first time this webhook is seen (in this run)'
  }
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
  print(header === undefined ? '  (cannot be decoded)' : indent(JSON.stringify(header, null, 2)))
  print(bold('Claims'))
  if (claims === undefined) {
    print('  (cannot be decoded)')
  } else {
    print(indent(JSON.stringify(claims, null, 2)))
    for (const name of ['iat', 'nbf', 'exp']) {
      if (typeof claims[name] === 'number') print(`  ${name}: ${when(claims[name], now)}`)
    }
  }
  print(bold('Checks'))
  for (const { step, status, detail } of steps) {
    const line = `  ${MARK[status]} ${step.padEnd(19)} ${detail}`
    print(status === 'skip' ? dim(line) : line)
  }
  for (const note of notes) print(yellow(`note: ${note}`))
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ')
}
