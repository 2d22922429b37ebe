import { createSender, createSigner, DeliveryError } from '@hookseal/core/send'
import type {
  DeadLetter,
  DeliveryAttempt,
  DeliveryEvent,
  DeliveryResult,
} from '@hookseal/core/send'
import { escapeTerminal } from '../escape-terminal.js'
import { loadSigningKey } from '../load-signing-key.js'
import { dim, green, print, printJson, red } from '../output.js'
import { integerFlag, parseFlags, required } from '../parse-flags.js'
import { readInput } from '../read-input.js'
import { signingTarget } from '../signing-target.js'
import { EXIT, UsageError } from '../usage-error.js'

export const help = `Usage: hookseal send --key <file> --issuer <iss> --url <url> --body <file> [options]

Signs a body file and delivers it to a receiver with the sender's retries, printing each
attempt and the verdict. Every attempt carries a fresh token and the same Webhook-Id.
Exit 0 once delivered, 1 when the webhook was dead-lettered, 2 for bad usage or input.

Options:
  --key <file>                 private key (PEM or JWK), e.g. from "hookseal keygen"
  --issuer <iss>               the iss claim receivers configure for this sender
  --url <url>                  the receiver's absolute URL (https, or http with --allow-insecure-http)
  --body <file>                the exact bytes to send
  --method <POST|PUT>          the request method (default: POST)
  --audience <aud>             the aud claim (default: the URL without query)
  --webhook-id <id>            the Webhook-Id header (default: a random UUID)
  --header 'Name: value'       an extra request header; repeatable
  --max-attempts <n>           most attempts, the first included (default: 6)
  --timeout <ms>               time allowed for one attempt (default: 10000)
  --backoff <ms>               ceiling of the first retry's random wait, doubled each retry (default: 1000)
  --max-backoff <ms>           largest ceiling of a retry's wait (default: 30000)
  --allow-insecure-http        allow plain http to loopback hosts (local testing)
  --allow-private <ip|cidr|host>
                               let the SSRF guard through to a non-public address; repeatable
                               (127.0.0.1 or localhost is needed for a local receiver)
  --json                       print the result as JSON instead of lines

Example:
  hookseal send --key webhook-key.pem --issuer https://partner.example \\
    --url https://api.example.com/webhooks --body event.json --max-attempts 3 \\
    --header 'X-Tenant: acme'

  hookseal send --key webhook-key.pem --issuer https://partner.example \\
    --url http://127.0.0.1:8080/webhooks --body event.json \\
    --allow-insecure-http --allow-private 127.0.0.1`

/** Turns repeated `--header 'Name: value'` flags into a header object. */
function parseHeaders(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const value of values) {
    const colon = value.indexOf(':')
    const name = colon === -1 ? '' : value.slice(0, colon).trim()
    if (name === '') throw new UsageError(`--header must look like 'Name: value' (got ${value})`)
    const lower = name.toLowerCase()
    if (Object.hasOwn(headers, lower)) throw new UsageError(`--header ${name} is given twice`)
    headers[lower] = value.slice(colon + 1).trim()
  }
  return headers
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

function attemptLine(attempt: DeliveryAttempt): string {
  const ok = attempt.error === undefined
  const outcome = [
    attempt.status === undefined ? undefined : String(attempt.status),
    attempt.error?.code,
  ]
    .filter((part) => part !== undefined)
    .join(' ')
  const mark = ok ? green('✔') : red('✘')
  return `${mark} attempt ${attempt.attempt}  ${outcome}  ${attempt.durationMs} ms`
}

function onEventLines(event: DeliveryEvent): void {
  if (event.type === 'delivery-attempt') {
    print(attemptLine(event.attempt))
  } else if (event.type === 'delivery-retry') {
    print(
      dim(
        `  retrying in ${event.delayMs} ms (attempt ${event.attempt}): ${escapeTerminal(event.error.message)}`,
      ),
    )
  }
}

function attemptJson(attempt: DeliveryAttempt): Record<string, unknown> {
  return {
    attempt: attempt.attempt,
    startedAt: new Date(attempt.startedAt).toISOString(),
    durationMs: attempt.durationMs,
    ...(attempt.status === undefined ? {} : { status: attempt.status }),
    ...(attempt.error === undefined ? {} : { error: attempt.error }),
  }
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    key: { type: 'string' },
    issuer: { type: 'string' },
    url: { type: 'string' },
    body: { type: 'string' },
    method: { type: 'string', default: 'POST' },
    audience: { type: 'string' },
    'webhook-id': { type: 'string' },
    header: { type: 'string', multiple: true, default: [] },
    'max-attempts': { type: 'string' },
    timeout: { type: 'string' },
    backoff: { type: 'string' },
    'max-backoff': { type: 'string' },
    'allow-insecure-http': { type: 'boolean', default: false },
    'allow-private': { type: 'string', multiple: true, default: [] },
    json: { type: 'boolean', default: false },
  })
  if (values.help) return (print(help), EXIT.ok)
  const { url, method, issuer, extras } = signingTarget(values)
  const headers = parseHeaders(values.header)
  const maxAttempts = integerFlag(values['max-attempts'], 'max-attempts', 1)
  const timeout = integerFlag(values.timeout, 'timeout', 1)
  const backoff = integerFlag(values.backoff, 'backoff', 0)
  const maxBackoff = integerFlag(values['max-backoff'], 'max-backoff', 0)
  const keys = await loadSigningKey(required(values.key, 'key'))
  const body = await readInput(required(values.body, 'body'), 'body file')
  const json = values.json

  let letter: DeadLetter | undefined
  let sender
  try {
    sender = createSender({
      signer: createSigner({ issuer, keys }),
      onDeadLetter: (deadLetter) => {
        letter = deadLetter
      },
      onEvent: json ? undefined : onEventLines,
      allowInsecureHttp: values['allow-insecure-http'],
      allowPrivateAddresses: values['allow-private'],
      ...(maxAttempts === undefined ? {} : { maxAttempts }),
      ...(timeout === undefined ? {} : { timeout }),
      ...(backoff === undefined ? {} : { backoff }),
      ...(maxBackoff === undefined ? {} : { maxBackoff }),
    })
  } catch (cause) {
    throw new UsageError((cause as Error).message)
  }

  if (!json) print(dim(`→ ${method} ${escapeTerminal(url)}`))
  let result: DeliveryResult
  try {
    result = await sender.send({
      url,
      method,
      body,
      headers,
      ...extras,
    })
  } catch (cause) {
    if (cause instanceof DeliveryError && cause.code === 'ERR_DELIVERY_FAILED') {
      const dead = letter ?? cause.deadLetter
      const reason = dead?.reason ?? 'permanent-failure'
      const error = dead?.error ?? cause
      if (json) {
        printJson({
          delivered: false,
          webhookId: cause.webhookId,
          reason,
          error: { code: error.code, message: error.message },
          attempts: cause.attempts.map(attemptJson),
        })
      } else {
        print(
          `${red('✘ dead letter')}: ${reason} after ${plural(cause.attempts.length, 'attempt')}` +
            ` (webhook-id ${escapeTerminal(cause.webhookId ?? '?')})`,
        )
        print(`  ${error.code}: ${escapeTerminal(error.message)}`)
        // The receiver wrote this body: escaped, it cannot retitle the terminal or forge a line.
        const body = cause.attempts.at(-1)?.responseBody
        if (body) print(dim(`  response: ${escapeTerminal(body.slice(0, 500))}`))
      }
      return EXIT.failed
    }
    if (cause instanceof DeliveryError) {
      const hint = /^http:/i.test(url)
        ? ' (for a local receiver, add --allow-insecure-http and --allow-private 127.0.0.1)'
        : ''
      throw new UsageError(`destination refused: ${cause.message}${hint}`)
    }
    if (cause instanceof TypeError) throw new UsageError(cause.message)
    throw cause
  }

  if (json) {
    printJson({
      delivered: true,
      webhookId: result.webhookId,
      status: result.status,
      durationMs: result.durationMs,
      attempts: result.attempts.map(attemptJson),
      responseBody: result.responseBody,
    })
  } else {
    print(
      `${green('✔ delivered')}: ${result.status} after ${plural(result.attempts.length, 'attempt')}` +
        ` in ${result.durationMs} ms (webhook-id ${escapeTerminal(result.webhookId)})`,
    )
  }
  return EXIT.ok
}
