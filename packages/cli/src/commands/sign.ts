import { createPrivateKey } from 'node:crypto'
import type { JsonWebKey, KeyObject } from 'node:crypto'
import { createSigner, signStandardWebhook } from '@hookseal/core/send'
import { escapeTerminal } from '../escape-terminal.js'
import { loadSigningKey } from '../load-signing-key.js'
import { print, printJson } from '../output.js'
import { integerFlag, parseFlags, required } from '../parse-flags.js'
import { readInput } from '../read-input.js'
import { signingTarget } from '../signing-target.js'
import { EXIT, UsageError } from '../usage-error.js'

export const help = `Usage: hookseal sign --key <file> --issuer <iss> --url <url> --body <file> [options]
       hookseal sign (--whsec <secret> | --v1a-key <file>) --body <file> [--url <url>] [options]

Signs a body file for one receiver and prints the headers to send (Content-Type included), or a
ready curl command: an X-Signature JWT with --key, or Standard Webhooks headers (webhook-id,
webhook-timestamp, webhook-signature) with --whsec and/or --v1a-key, for testing receivers.

Options:
  --key <file>          private key (PEM or JWK), e.g. from "hookseal keygen"
  --issuer <iss>        the iss claim receivers configure for this sender
  --url <url>           the receiver's absolute http(s) URL (the htu claim)
  --body <file>         the exact bytes to send
  --audience <aud>      the aud claim (default: the URL without query)
  --method <POST|PUT>   the htm claim (default: POST)
  --webhook-id <id>     the Webhook-Id header (default: a random UUID)
  --expires-in <s>      token lifetime in seconds (default: 300)
  --content-type <t>    the Content-Type header to send (default: application/json)
  --curl                print a curl command instead of headers
  --json                print the headers as JSON

Standard Webhooks (instead of --key and --issuer; --url only for --curl):
  --whsec <secret>      sign v1 (HMAC-SHA256) with this whsec_ secret, repeatable
  --v1a-key <file>      sign v1a with this Ed25519 private key (PEM or JWK), repeatable; make one
                        with "hookseal keygen --type ed25519"
  --webhook-id <id>     the webhook-id (default: msg_ and a random UUID)
  --timestamp <s>       the webhook-timestamp in epoch seconds (default: now)

Example:
  hookseal sign --key webhook-key.pem --issuer https://partner.example \\
    --url https://api.example.com/webhooks --body event.json --curl | sh
  hookseal sign --whsec whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw --body event.json \\
    --url http://127.0.0.1:8787/webhooks --curl | sh`

/**
 * Quotes a word for a POSIX shell: bare when it holds only characters no shell treats specially,
 * else in single quotes, inside which only `'` itself needs the close-escape-reopen dance.
 */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`
}

/**
 * The curl command that sends exactly the signed request. `--globoff` keeps curl from expanding
 * `[…]` and `{…}` in the URL; the URL is the parsed form, whose controls are percent-encoded and
 * whose path is what the signer put in `htu`. A word a terminal would act on cannot be quoted so
 * that it shows safely and still means the same to the shell, so it is refused.
 */
function curlCommand(
  method: string,
  url: string,
  headers: Readonly<Record<string, string>>,
  bodyFile: string,
): string {
  if (escapeTerminal(bodyFile) !== bodyFile) {
    throw new UsageError(
      `--body ${escapeTerminal(bodyFile)}: a file name with control characters cannot be put in a curl command safely`,
    )
  }
  const parts = ['curl', '--globoff', '-X', method, shellQuote(new URL(url).href)]
  for (const [name, value] of Object.entries(headers)) {
    parts.push('-H', shellQuote(`${name}: ${value}`))
  }
  // "@" makes curl read the file; "./" keeps a file named "-" from meaning standard input.
  const path = bodyFile === '-' ? './-' : bodyFile
  parts.push('--data-binary', shellQuote(`@${path}`))
  return parts.join(' ')
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    key: { type: 'string' },
    issuer: { type: 'string' },
    url: { type: 'string' },
    body: { type: 'string' },
    audience: { type: 'string' },
    method: { type: 'string', default: 'POST' },
    'webhook-id': { type: 'string' },
    'expires-in': { type: 'string' },
    'content-type': { type: 'string', default: 'application/json' },
    curl: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    whsec: { type: 'string', multiple: true },
    'v1a-key': { type: 'string', multiple: true },
    timestamp: { type: 'string' },
  })
  if (values.help) return (print(help), EXIT.ok)
  if (values.whsec !== undefined || values['v1a-key'] !== undefined) {
    return signStandardWebhookFlags(values)
  }
  const { url, method, issuer, extras } = signingTarget(values)
  const keys = await loadSigningKey(required(values.key, 'key'))
  const bodyFile = required(values.body, 'body')
  const body = await readInput(bodyFile, 'body file')
  const expiresIn = integerFlag(values['expires-in'], 'expires-in', 1)
  const contentType = contentTypeOf(values['content-type'])

  let signed
  try {
    const signer = createSigner({ issuer, keys, ...(expiresIn ? { expiresIn } : {}) })
    signed = await signer.sign({
      body,
      url,
      method,
      ...extras,
    })
  } catch (cause) {
    throw new UsageError((cause as Error).message)
  }
  printSigned(values, method, url, { 'content-type': contentType, ...signed }, bodyFile)
  return EXIT.ok
}

function contentTypeOf(value: string): string {
  if (!/^[\x21-\x7e][\x20-\x7e]*$/.test(value)) {
    throw new UsageError(`--content-type must be a header value (got ${value})`)
  }
  return value
}

/** Prints the headers, as lines, JSON or a curl command; Content-Type first. */
function printSigned(
  values: { json: boolean; curl: boolean },
  method: string,
  url: string | undefined,
  headers: Readonly<Record<string, string>>,
  bodyFile: string,
): void {
  if (values.json) {
    printJson(headers)
  } else if (values.curl) {
    print(curlCommand(method, required(url, 'url'), headers, bodyFile))
  } else {
    for (const [name, value] of Object.entries(headers)) print(`${name}: ${value}`)
  }
}

/** An Ed25519 private key file, PEM or JWK, for signing v1a. */
async function loadEd25519Key(path: string): Promise<KeyObject> {
  const text = (await readInput(path, 'key file')).toString('utf8')
  let key: KeyObject
  try {
    key = text.trimStart().startsWith('{')
      ? createPrivateKey({ key: JSON.parse(text) as JsonWebKey, format: 'jwk' })
      : createPrivateKey(text)
  } catch (cause) {
    throw new UsageError(`bad key file ${path}: ${(cause as Error).message}`)
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new UsageError(`--v1a-key ${path} is a ${key.asymmetricKeyType} key; v1a needs Ed25519`)
  }
  return key
}

/** `hookseal sign` with Standard Webhooks keys: the three headers of one signed request. */
async function signStandardWebhookFlags(values: {
  whsec?: string[] | undefined
  'v1a-key'?: string[] | undefined
  body?: string | undefined
  url?: string | undefined
  method: string
  'webhook-id'?: string | undefined
  timestamp?: string | undefined
  'content-type': string
  curl: boolean
  json: boolean
}): Promise<number> {
  const bodyFile = required(values.body, 'body')
  const body = await readInput(bodyFile, 'body file')
  const url = values.url
  if (url !== undefined && (!/^https?:\/\//i.test(url) || !URL.canParse(url))) {
    throw new UsageError(`--url must be an absolute http(s) URL (got ${url})`)
  }
  const method = values.method.toUpperCase()
  if (!/^[A-Z]+$/.test(method))
    throw new UsageError(`--method must be an HTTP method (got ${method})`)
  const contentType = contentTypeOf(values['content-type'])
  const privateKeys = await Promise.all((values['v1a-key'] ?? []).map(loadEd25519Key))
  const timestamp = integerFlag(values.timestamp, 'timestamp', 0)
  let signed
  try {
    signed = signStandardWebhook({
      body,
      secrets: values.whsec ?? [],
      privateKeys,
      ...(values['webhook-id'] ? { id: values['webhook-id'] } : {}),
      ...(timestamp === undefined ? {} : { timestamp }),
    })
  } catch (cause) {
    throw new UsageError((cause as Error).message.replace(/^signStandardWebhook: /, ''))
  }
  printSigned(values, method, url, { 'content-type': contentType, ...signed }, bodyFile)
  return EXIT.ok
}
