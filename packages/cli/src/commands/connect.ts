import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { ConnectionError, createConnections } from '@hookseal/core/send'
import type { CompletedConnection } from '@hookseal/core/send'
import { escapeTerminal } from '../escape-terminal.js'
import { bold, green, print, printJson, red } from '../output.js'
import { integerFlag, parseFlags, required } from '../parse-flags.js'
import { EXIT, UsageError } from '../usage-error.js'

export const help = `Usage: hookseal connect --issuer <url> --client-id <id> --redirect-uri <url> [options]

Runs the OAuth 2 authorization code + PKCE dance for one customer, as createConnections does:
prints the authorization URL to open in a browser, waits on the redirect URI's loopback port for
the callback, exchanges the code and prints the token's claims (tenant, partner, ...). Tokens are
never printed. The client secret is read from HOOKSEAL_CLIENT_SECRET unless --client-secret is given.

Options:
  --issuer <url>            the authorization server (RFC 8414 / OpenID discovery)
  --client-id <id>          the registered client
  --client-secret <secret>  the client's secret (default: $HOOKSEAL_CLIENT_SECRET; none: public client)
  --redirect-uri <url>      the registered callback, http://127.0.0.1:<port>/<path> (listened on)
  --scope <scopes>          space-separated scopes (default: "openid offline_access")
  --customer <id>           the customer being connected (default: cli)
  --param <name=value>      an extra authorization parameter, repeatable (e.g. prompt=consent)
  --wait <seconds>          how long to wait for the callback (default: 600)
  --allow-insecure-http     allow a plain-http issuer on loopback (local test servers)
  --json                    print the result as JSON

Example:
  hookseal connect --issuer https://login.partner.example --client-id hookseal-sender \\
    --redirect-uri http://127.0.0.1:8765/callback --scope "openid offline_access" --param prompt=consent`

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

function parameters(pairs: readonly string[] | undefined): Record<string, string> {
  const result: Record<string, string> = {}
  for (const pair of pairs ?? []) {
    const at = pair.indexOf('=')
    if (at < 1) throw new UsageError(`--param must be name=value (got ${pair})`)
    result[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return result
}

function page(title: string): string {
  return `<!doctype html><meta charset="utf-8"><title>${title}</title><p>${title}. You can close this window.</p>`
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    scope: { type: 'string', default: 'openid offline_access' },
    customer: { type: 'string', default: 'cli' },
    param: { type: 'string', multiple: true },
    wait: { type: 'string', default: '600' },
    'allow-insecure-http': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  })
  if (values.help) return (print(help), EXIT.ok)
  const issuer = required(values.issuer, 'issuer')
  const redirect = new URL(required(values['redirect-uri'], 'redirect-uri'))
  if (redirect.protocol !== 'http:' || !LOOPBACK.has(redirect.hostname) || redirect.port === '') {
    throw new UsageError('--redirect-uri must be http://127.0.0.1:<port>/<path>, listened on here')
  }
  const wait = integerFlag(values.wait, 'wait', 1) as number
  const insecure = values['allow-insecure-http']
  const clientSecret = values['client-secret'] ?? process.env.HOOKSEAL_CLIENT_SECRET
  const issuerHost = URL.canParse(issuer) ? new URL(issuer).hostname : ''

  let connections
  try {
    connections = createConnections({
      authorizationServer: issuer,
      clientId: required(values['client-id'], 'client-id'),
      ...(clientSecret === undefined || clientSecret === '' ? {} : { clientSecret }),
      redirectUri: redirect,
      scope: values.scope,
      authorizationParameters: parameters(values.param),
      // The tokens live in this process only and die with it: a key of its own is enough.
      encryptionKeys: [{ id: 'cli', key: randomBytes(32) }],
      allowInsecureHttp: insecure,
      // A loopback test server is reachable only when plain http to it was asked for.
      ...(insecure && LOOPBACK.has(issuerHost)
        ? { allowPrivateAddresses: [issuerHost.replace(/^\[|\]$/g, '')] }
        : {}),
    })
  } catch (cause) {
    throw new UsageError((cause as Error).message)
  }

  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) => reject(new UsageError(`cannot listen: ${cause.message}`)))
    server.listen(Number(redirect.port), redirect.hostname.replace(/^\[|\]$/g, ''), resolve)
  })
  const outcome = new Promise<CompletedConnection | ConnectionError>((resolve) => {
    server.on('request', (request, response) => {
      const url = new URL(request.url ?? '/', redirect)
      if (request.method !== 'GET' || url.pathname !== redirect.pathname) {
        response.writeHead(404).end()
        return
      }
      connections.complete(url).then(
        (connected) => {
          response.writeHead(200, { 'content-type': 'text/html' }).end(page('Connected'))
          resolve(connected)
        },
        (error: unknown) => {
          const failure =
            error instanceof ConnectionError
              ? error
              : new ConnectionError('ERR_CONNECTION_EXCHANGE_FAILED', String(error))
          response.writeHead(failure.status, { 'content-type': 'text/html' })
          response.end(page('The connection failed'))
          resolve(failure)
        },
      )
    })
  })

  let result: CompletedConnection | ConnectionError
  let timer: NodeJS.Timeout | undefined
  try {
    const url = await connections.begin(values.customer)
    process.stderr.write(
      `Open this URL in a browser and sign in as ${escapeTerminal(values.customer)}'s super-user:\n`,
    )
    print(escapeTerminal(url.href))
    process.stderr.write(`waiting for the callback on ${redirect.origin}${redirect.pathname}\n`)
    result = await Promise.race([
      outcome,
      new Promise<ConnectionError>((resolve) => {
        timer = setTimeout(() => {
          resolve(
            new ConnectionError('ERR_CONNECTION_STATE_INVALID', `no callback within ${wait} s`),
          )
        }, wait * 1000)
      }),
    ])
  } catch (error) {
    if (!(error instanceof ConnectionError)) throw error
    result = error
  } finally {
    clearTimeout(timer)
    server.closeAllConnections()
    server.close()
  }

  if (result instanceof ConnectionError) {
    if (values.json) printJson({ connected: false, code: result.code, message: result.message })
    else print(red(`✘ ${result.code}: ${escapeTerminal(result.message)}`))
    return EXIT.failed
  }
  if (values.json) {
    printJson({ connected: true, ...result })
  } else {
    print(green(`✔ connected ${escapeTerminal(result.customer)}`), bold('claims:'))
    printJson(result.claims)
  }
  return EXIT.ok
}
