import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createVerifier, SUPPORTED_ALGORITHMS, WebhookError } from '@hookseal/core'
import { readRawBody } from '@hookseal/core/http'
import type { SignatureAlgorithm } from '@hookseal/core'
import { schemeLabel } from '../detect-scheme.js'
import { escapeTerminal } from '../escape-terminal.js'
import { openJwksSource } from '../jwks-source.js'
import { green, print, printJson, red } from '../output.js'
import { integerFlag, parseFlags, required } from '../parse-flags.js'
import { SENDER_FLAGS, SENDER_HELP, sendersFromFlags } from '../sender-flags.js'
import { EXIT, UsageError } from '../usage-error.js'
import { LISTEN_UI_FLAGS, LISTEN_UI_HELP, listenUiOptions } from '../ui/listen-ui-flags.js'
import { startListenUi } from '../ui/start-listen-ui.js'

export const help = `Usage: hookseal listen [--issuer <iss> --jwks <url|file>] [sender options] [options]

Runs a local receiver that verifies every incoming webhook and prints it with its verdict, its
scheme and its sender: 204 for a valid webhook, 401 with the reason otherwise. It accepts a JWT
sender (--issuer and --jwks) and the Standard Webhooks and OAuth 1.0a senders configured below,
any or all at once. Stops on Ctrl-C (SIGINT) or SIGTERM.

Options:
  --issuer <iss>          the JWT sender to accept
  --jwks <url|file>       the JWT sender's JWKS, as a URL or a file
  --audience <aud>        this receiver's URL or id (default: http://<host>:<port>/)
  --host <host>           interface to listen on (default: 127.0.0.1)
  --port <port>           port (default: 8787; 0 picks a free one)
  --alg <alg>             an accepted algorithm, repeatable (default: all supported)
  --allow-insecure-http   allow a plain-http JWKS URL on loopback
  --json                  one JSON line per webhook
${LISTEN_UI_HELP}

${SENDER_HELP}

Example:
  hookseal listen --issuer https://partner.example --jwks jwks.json --port 8787 \\
    --audience http://127.0.0.1:8787/webhooks
  hookseal listen --whsec whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw --oauth1-consumer mx-agent:secret`

export async function run(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    issuer: { type: 'string' },
    jwks: { type: 'string' },
    audience: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8787' },
    alg: { type: 'string', multiple: true },
    'allow-insecure-http': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    ...SENDER_FLAGS,
    ...LISTEN_UI_FLAGS,
  })
  if (values.help) return (print(help), EXIT.ok)
  const issuer = values.issuer
  const port = integerFlag(values.port, 'port', 0) as number
  if (port > 65_535) throw new UsageError('--port must be at most 65535')
  // Usage errors first, before anything is opened.
  const uiOptions = listenUiOptions(values)
  const tolerance = integerFlag(values.tolerance, 'tolerance', 0) ?? 300
  const others = await sendersFromFlags(values, values['allow-insecure-http'])
  if (issuer === undefined && values.jwks === undefined && others.senders.length === 0) {
    throw new UsageError(
      'configure a sender: --issuer and --jwks, --whsec, --whpk or --oauth1-consumer',
    )
  }
  const source =
    issuer === undefined && values.jwks === undefined
      ? undefined
      : await openJwksSource(required(values.jwks, 'jwks'), values['allow-insecure-http'])
  const closeSources = async () => {
    await source?.close()
    await others.close()
  }

  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) => reject(new UsageError(`cannot listen: ${cause.message}`)))
    server.listen(port, values.host, resolve)
  })
  const address = server.address() as AddressInfo
  const origin = `http://${values.host}:${address.port}`
  let verifier
  try {
    verifier = createVerifier({
      issuers:
        source === undefined
          ? []
          : [
              {
                issuer: required(issuer, 'issuer'),
                jwksUri: source.jwksUri,
                audience: values.audience ?? `${origin}/`,
                algorithms: (values.alg ?? [...SUPPORTED_ALGORITHMS]) as SignatureAlgorithm[],
              },
            ],
      // OAuth 1.0a senders sign the URL they send to: this listener's, unless told otherwise.
      senders: others.senders.map((sender) =>
        sender.scheme === 'oauth1' && sender.origin === undefined ? { ...sender, origin } : sender,
      ),
      allowInsecureHttp: (source?.insecure ?? false) || others.insecure,
    })
  } catch (cause) {
    server.close()
    await closeSources()
    throw new UsageError((cause as Error).message)
  }

  const ui =
    uiOptions &&
    (await startListenUi({
      ...uiOptions,
      receiver: origin,
      context: { signatureHeader: 'x-signature', kids: source?.kids, tolerance },
    }).catch(async (error: unknown) => {
      server.close()
      await closeSources()
      throw error
    }))

  server.on('request', async (request, response) => {
    const at = new Date().toISOString()
    const line = { at, method: request.method, url: request.url }
    // Everything here but the time comes from whoever connected, and goes to this terminal.
    const target = escapeTerminal(`${request.method} ${request.url}`)
    const arrival = {
      method: request.method ?? '',
      url: request.url ?? '/',
      rawHeaders: request.rawHeaders,
    }
    let received: Buffer | undefined
    try {
      const body = await readRawBody(request, 1024 * 1024)
      received = body
      const webhook = await verifier.verify({
        method: request.method ?? '',
        url: request.url ?? '/',
        headers: request.rawHeaders,
        body,
      })
      response.writeHead(204).end()
      const { scheme, sender, kid, id } = webhook
      const ok = { ...line, valid: true, scheme, sender, kid, id, bytes: body.length }
      ui?.record({ ...arrival, body, outcome: { webhook }, status: 204 })
      if (values.json) {
        printJson(ok, { compact: true })
      } else {
        const fields = `kid=${escapeTerminal(kid)} id=${escapeTerminal(id)}`
        const from = `scheme=${scheme} sender=${escapeTerminal(sender)}`
        print(green(`✔ ${at} ${target} valid ${fields} (${body.length} bytes) ${from}`))
      }
    } catch (cause) {
      const code = cause instanceof WebhookError ? cause.code : 'ERR_INTERNAL'
      const message = (cause as Error).message
      const status = cause instanceof WebhookError ? cause.status : 500
      response
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ code, message }))
      const scheme = schemeLabel({
        rawHeaders: request.rawHeaders,
        url: request.url ?? '/',
        body: received ?? new Uint8Array(),
      })
      ui?.record({ ...arrival, body: received, outcome: { error: cause }, status })
      if (values.json) {
        printJson({ ...line, valid: false, scheme, code, message }, { compact: true })
      } else {
        print(red(`✘ ${at} ${target} ${code}: ${escapeTerminal(message)} scheme=${scheme}`))
      }
    }
  })

  const accepted = [...(issuer === undefined ? [] : [escapeTerminal(issuer)]), ...others.schemes]
  process.stderr.write(`listening on ${origin} for webhooks from ${accepted.join(', ')}\n`)
  if (ui) process.stderr.write(`ui on ${ui.url}\n`)
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  process.stderr.write(`${signal}: stopping\n`)
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await ui?.close()
  await closeSources()
  return EXIT.ok
}
