import { lookup } from 'node:dns'
import type { LookupAddress } from 'node:dns'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { isIP } from 'node:net'
import { CONNECTION_HEADERS } from './connection-headers.js'
import type { LoggedRequest } from './describe-arrival.js'
import { ListenUiError } from './listen-ui-error.js'

/** How much of a replay's answer the page shows. */
const ANSWER_BYTES = 4096

function isLoopbackAddress(address: string): boolean {
  return isIP(address) === 4 ? address.startsWith('127.') : address === '::1'
}

/** Resolves `localhost` to its loopback addresses only, whatever else a resolver says. */
const loopbackLookup = ((hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    const loopback = error ? [] : addresses.filter((entry) => isLoopbackAddress(entry.address))
    if (loopback.length === 0) {
      callback(error ?? new Error(`${hostname} has no loopback address`), '', 4)
    } else if (options.all) {
      ;(callback as unknown as (e: null, all: LookupAddress[]) => void)(null, loopback)
    } else {
      callback(null, loopback[0]?.address as string, loopback[0]?.family as number)
    }
  })
}) as LookupFunction

/**
 * The URL a request may be replayed to: http or https on this machine only (127.0.0.0/8, ::1 or
 * localhost), so that the page cannot be used to send a captured webhook anywhere else.
 */
export function loopbackTarget(text: string): URL {
  if (!URL.canParse(text)) throw new ListenUiError('ERR_UI_REPLAY_TARGET', `not a URL: ${text}`)
  const url = new URL(text)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ListenUiError('ERR_UI_REPLAY_TARGET', 'a replay goes to an http or https URL')
  }
  if (host !== 'localhost' && !(isIP(host) !== 0 && isLoopbackAddress(host))) {
    throw new ListenUiError(
      'ERR_UI_REPLAY_TARGET',
      `a replay goes to this machine only (127.0.0.1, ::1, localhost), not ${url.hostname}`,
    )
  }
  return url
}

/**
 * Sends a logged request again, byte for byte, to a loopback URL (its path replaced by the
 * target's), and resolves with the answer's status and the start of its body.
 */
export function replayRequest(
  entry: LoggedRequest,
  target: URL,
  timeoutMs = 10_000,
): Promise<{ status: number; body: string }> {
  const headers: string[] = []
  for (let i = 0; i + 1 < entry.rawHeaders.length; i += 2) {
    const name = entry.rawHeaders[i] as string
    if (!CONNECTION_HEADERS.has(name.toLowerCase())) {
      headers.push(name, entry.rawHeaders[i + 1] as string)
    }
  }
  headers.push('Host', target.host, 'Content-Length', String(entry.body.length))
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const outgoing = send(target, {
      method: entry.method,
      headers,
      lookup: loopbackLookup,
      signal: AbortSignal.timeout(timeoutMs),
    })
    outgoing.on('error', (cause) =>
      reject(
        new ListenUiError(
          'ERR_UI_REPLAY_FAILED',
          `replay to ${target.href} failed: ${cause.message}`,
          { cause },
        ),
      ),
    )
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = []
      let size = 0
      response.on('data', (chunk: Buffer) => {
        if (size < ANSWER_BYTES) chunks.push(chunk)
        size += chunk.length
      })
      response.on('end', () => {
        const body = Buffer.concat(chunks).subarray(0, ANSWER_BYTES).toString('utf8')
        resolve({ status: response.statusCode ?? 0, body })
      })
      response.on('error', (cause) =>
        reject(
          new ListenUiError('ERR_UI_REPLAY_FAILED', `replay answer broke off: ${cause.message}`, {
            cause,
          }),
        ),
      )
    })
    outgoing.end(entry.body)
  })
}
