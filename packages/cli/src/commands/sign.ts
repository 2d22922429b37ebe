import { createSigner } from '@hookseal/core/send'
import { loadSigningKey } from '../load-signing-key.js'
import { print, printJson } from '../output.js'
import { integerFlag, parseFlags, required } from '../parse-flags.js'
import { readInput } from '../read-input.js'
import { signingTarget } from '../signing-target.js'
import { EXIT, UsageError } from '../usage-error.js'

export const help = `Usage: hookseal sign --key <file> --issuer <iss> --url <url> --body <file> [options]

Signs a body file for one receiver and prints the headers to send, or a ready curl command.

Options:
  --key <file>          private key (PEM or JWK), e.g. from "hookseal keygen"
  --issuer <iss>        the iss claim receivers configure for this sender
  --url <url>           the receiver's absolute http(s) URL (the htu claim)
  --body <file>         the exact bytes to send
  --audience <aud>      the aud claim (default: the URL without query)
  --method <POST|PUT>   the htm claim (default: POST)
  --webhook-id <id>     the Webhook-Id header (default: a random UUID)
  --expires-in <s>      token lifetime in seconds (default: 300)
  --curl                print a curl command instead of headers
  --json                print the headers as JSON

Example:
  hookseal sign --key webhook-key.pem --issuer https://partner.example \\
    --url https://api.example.com/webhooks --body event.json --curl | sh`

/** Quotes a word for a POSIX shell. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`
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
    curl: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  })
  if (values.help) return (print(help), EXIT.ok)
  const { url, method, issuer, extras } = signingTarget(values)
  const keys = await loadSigningKey(required(values.key, 'key'))
  const bodyFile = required(values.body, 'body')
  const body = await readInput(bodyFile, 'body file')
  const expiresIn = integerFlag(values['expires-in'], 'expires-in', 1)

  let headers
  try {
    const signer = createSigner({ issuer, keys, ...(expiresIn ? { expiresIn } : {}) })
    headers = await signer.sign({
      body,
      url,
      method,
      ...extras,
    })
  } catch (cause) {
    throw new UsageError((cause as Error).message)
  }

  if (values.json) {
    printJson(headers)
  } else if (values.curl) {
    const parts = ['curl', '-X', method, shellQuote(url)]
    for (const [name, value] of Object.entries(headers))
      parts.push('-H', shellQuote(`${name}: ${value}`))
    parts.push('--data-binary', shellQuote(`@${bodyFile}`))
    print(parts.join(' '))
  } else {
    for (const [name, value] of Object.entries(headers)) print(`${name}: ${value}`)
  }
  return EXIT.ok
}
