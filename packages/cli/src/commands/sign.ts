import { createSigner } from '@hookseal/core/send'
import { escapeTerminal } from '../escape-terminal.js'
import { loadSigningKey } from '../load-signing-key.js'
import { print, printJson } from '../output.js'
import { integerFlag, parseFlags, required } from '../parse-flags.js'
import { readInput } from '../read-input.js'
import { signingTarget } from '../signing-target.js'
import { EXIT, UsageError } from '../usage-error.js'

export const help = `Usage: hookseal sign --key <file> --issuer <iss> --url <url> --body <file> [options]

Signs a body file for one receiver and prints the headers to send (Content-Type included), or a
ready curl command.

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

Example:
  hookseal sign --key webhook-key.pem --issuer https://partner.example \\
    --url https://api.example.com/webhooks --body event.json --curl | sh`

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
  })
  if (values.help) return (print(help), EXIT.ok)
  const { url, method, issuer, extras } = signingTarget(values)
  const keys = await loadSigningKey(required(values.key, 'key'))
  const bodyFile = required(values.body, 'body')
  const body = await readInput(bodyFile, 'body file')
  const expiresIn = integerFlag(values['expires-in'], 'expires-in', 1)
  const contentType = values['content-type']
  if (!/^[\x21-\x7e][\x20-\x7e]*$/.test(contentType)) {
    throw new UsageError(`--content-type must be a header value (got ${contentType})`)
  }

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
  // Without it curl sends form-urlencoded, and receivers that parse by type refuse it (415).
  const headers = { 'content-type': contentType, ...signed }

  if (values.json) {
    printJson(headers)
  } else if (values.curl) {
    print(curlCommand(method, url, headers, bodyFile))
  } else {
    for (const [name, value] of Object.entries(headers)) print(`${name}: ${value}`)
  }
  return EXIT.ok
}
