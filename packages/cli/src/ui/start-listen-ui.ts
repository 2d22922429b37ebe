import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readRawBody } from '@hookseal/core/http'
import { UsageError } from '../usage-error.js'
import { bodyView } from './body-view.js'
import { createRequestLog } from './create-request-log.js'
import { curlOfRequest } from './curl-of-request.js'
import { describeArrival } from './describe-arrival.js'
import type { Arrival, ExplainContext, LoggedRequest } from './describe-arrival.js'
import { ListenUiError } from './listen-ui-error.js'
import { rawRequest } from './raw-request.js'
import { loopbackTarget, replayRequest } from './replay-request.js'
import { summarize } from './summarize.js'
import { unreproducible } from './unreproducible.js'

/** Options of {@link startListenUi}. */
export interface ListenUiOptions {
  /** @default '127.0.0.1' */
  host: string
  /** 0 picks a free port. */
  port: number
  /** How many requests are kept. @default 500 */
  history: number
  /** Body bytes kept per request; the rest is dropped and the request marked truncated. */
  bodyLimit: number
  /** The receiver's origin, where a replay goes by default and a curl command points. */
  receiver: string
  context: ExplainContext
}

/** A running page: its URL (with the access token), the call that records a request, and close. */
export interface ListenUi {
  url: string
  record(arrival: Arrival): void
  close(): Promise<void>
}

const ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
}

/**
 * Nothing but the page's own script, style and API; no inline script, so markup that reaches the
 * page from a sender could not run even if it were ever inserted as HTML.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
}

/** An event stream that stops reading this far behind is cut off; its page reconnects. */
const STREAM_BACKLOG = 1024 * 1024
const HEARTBEAT_MS = 20_000

async function loadAssets(): Promise<Map<string, Buffer>> {
  // The same relative place from src/ui/ and from dist/ui/: the package's ui/ folder.
  const dir = new URL('../../ui/', import.meta.url)
  const assets = new Map<string, Buffer>()
  for (const name of Object.keys(ASSETS)) assets.set(name, await readFile(new URL(name, dir)))
  return assets
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response
    .writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(value))
}

function sendError(response: ServerResponse, error: ListenUiError): void {
  sendJson(response, error.status, { code: error.code, message: error.message })
}

/**
 * Serves the `listen --ui` page: every route under `/<token>/`, the token being 32 random bytes
 * checked in constant time, so that no other page or local user without it can read what senders
 * sent or make the receiver replay it.
 */
export async function startListenUi(options: ListenUiOptions): Promise<ListenUi> {
  const assets = await loadAssets()
  const token = randomBytes(32).toString('base64url')
  const tokenBytes = Buffer.from(token)
  const log = createRequestLog<LoggedRequest>(options.history)
  const streams = new Set<ServerResponse>()

  const tokenMatches = (candidate: string) => {
    const bytes = Buffer.from(candidate)
    return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes)
  }

  const entryOf = (id: string): LoggedRequest => {
    const entry = /^[1-9]\d{0,15}$/.test(id) ? log.get(Number(id)) : undefined
    if (entry === undefined) {
      throw new ListenUiError(
        'ERR_UI_REQUEST_FORGOTTEN',
        `request ${id} is not kept: only the last ${options.history} are`,
      )
    }
    return entry
  }

  const reproducible = (entry: LoggedRequest) => {
    const reason = unreproducible(entry)
    if (reason !== undefined) throw new ListenUiError('ERR_UI_NOT_REPRODUCIBLE', reason)
  }

  function detail(id: number, entry: LoggedRequest) {
    const headers: Array<[string, string]> = []
    for (let i = 0; i + 1 < entry.rawHeaders.length; i += 2) {
      headers.push([entry.rawHeaders[i] as string, entry.rawHeaders[i + 1] as string])
    }
    return {
      ...summarize(id, entry),
      message: entry.message,
      steps: entry.steps,
      header: entry.header,
      claims: entry.claims,
      headers,
      body: bodyView(entry.body),
      bodyBytes: entry.bodyBytes,
      keptBytes: entry.body.length,
      truncated: entry.truncated,
      unreproducible: unreproducible(entry),
      curl: curlOfRequest(entry, options.receiver),
      replayUrl: `${options.receiver}${entry.url}`,
    }
  }

  function openStream(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
    })
    const send = (event: string, data: unknown) => {
      // A stream cut off below stays subscribed until its socket's close event.
      if (response.destroyed) return
      response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
      if (response.writableLength > STREAM_BACKLOG) response.destroy()
    }
    send('hello', { history: options.history, receiver: options.receiver })
    for (const [id, entry] of log.entries()) send('request', summarize(id, entry))
    const unsubscribe = log.subscribe((id, entry) => send('request', summarize(id, entry)))
    const heartbeat = setInterval(() => send('heartbeat', {}), HEARTBEAT_MS).unref()
    streams.add(response)
    request.socket.once('close', () => {
      unsubscribe()
      clearInterval(heartbeat)
      streams.delete(response)
    })
  }

  async function replay(request: IncomingMessage, response: ServerResponse, id: string) {
    // A page of another origin cannot send this without a CORS preflight, which is never answered.
    const type = request.headers['content-type'] ?? ''
    const origin = request.headers.origin
    if (!/^application\/json\b/.test(type)) {
      throw new ListenUiError('ERR_UI_BAD_REQUEST', 'a replay is asked for with a JSON body')
    }
    if (origin !== undefined && origin !== `http://${request.headers.host}`) {
      throw new ListenUiError('ERR_UI_BAD_REQUEST', 'a replay is asked for by the page only')
    }
    const entry = entryOf(id)
    reproducible(entry)
    let asked: { url?: unknown }
    try {
      asked = JSON.parse((await readRawBody(request, 4096, { timeout: 5000 })).toString('utf8'))
    } catch (cause) {
      throw new ListenUiError('ERR_UI_BAD_REQUEST', 'a replay is asked for with {"url": …}', {
        cause,
      })
    }
    const url = typeof asked?.url === 'string' ? asked.url : `${options.receiver}${entry.url}`
    const answer = await replayRequest(entry, loopbackTarget(url))
    sendJson(response, 200, { url, ...answer })
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] as string
    const [, given = '', ...rest] = path.split('/')
    if (!tokenMatches(given)) {
      throw new ListenUiError('ERR_UI_TOKEN_INVALID', 'this page needs the URL printed at start')
    }
    const method = request.method ?? 'GET'
    const tail = rest.join('/')
    if (rest.length === 0) {
      response.writeHead(308, { ...SECURITY_HEADERS, location: `/${token}/` }).end()
      return
    }
    const api = /^api\/requests\/([^/]+)(?:\/(raw|replay))?$/.exec(tail)
    if (method === 'POST' && api?.[2] === 'replay')
      return replay(request, response, api[1] as string)
    if (method !== 'GET' && method !== 'HEAD') {
      throw new ListenUiError('ERR_UI_METHOD_NOT_ALLOWED', `${method} is not served here`)
    }
    const asset = tail === '' ? 'index.html' : tail
    if (ASSETS[asset] !== undefined) {
      response
        .writeHead(200, { ...SECURITY_HEADERS, 'content-type': ASSETS[asset] })
        .end(assets.get(asset))
    } else if (tail === 'events') {
      openStream(request, response)
    } else if (api !== null && api[2] === undefined) {
      const entry = entryOf(api[1] as string)
      sendJson(response, 200, detail(Number(api[1]), entry))
    } else if (api?.[2] === 'raw') {
      const entry = entryOf(api[1] as string)
      reproducible(entry)
      response
        .writeHead(200, {
          ...SECURITY_HEADERS,
          'content-type': 'application/octet-stream',
          'content-disposition': `attachment; filename="request-${api[1]}.http"`,
        })
        .end(rawRequest(entry))
    } else {
      throw new ListenUiError('ERR_UI_NOT_FOUND', 'nothing is served at this path')
    }
  }

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.destroy()
      if (error instanceof ListenUiError) return sendError(response, error)
      sendJson(response, 500, { code: 'ERR_INTERNAL', message: (error as Error).message })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(new UsageError(`cannot serve the page: ${cause.message}`)),
    )
    server.listen(options.port, options.host, resolve)
  })
  const { port } = server.address() as AddressInfo
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return {
    url: `http://${host}:${port}/${token}/`,
    record(arrival) {
      // The receiver has answered by now; a request the page cannot describe must not break it.
      try {
        log.add(describeArrival(arrival, options.context, options.bodyLimit))
      } catch (error) {
        process.stderr.write(`listen --ui: cannot record a request: ${(error as Error).message}\n`)
      }
    },
    async close() {
      for (const stream of streams) stream.end()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
