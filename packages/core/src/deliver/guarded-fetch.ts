import type { LookupFunction } from 'node:net'
import { boundedRequest } from '../lib/bounded-request.js'
import type { CaCertificates } from '../lib/bounded-request.js'
import { isLoopbackHost } from '../lib/is-loopback-host.js'
import { createAddressPolicy } from './address-policy.js'
import { DeliveryAttemptError } from './delivery-error.js'
import { guardedLookup, systemResolve } from './guarded-lookup.js'
import type { ResolveHost } from './guarded-lookup.js'

/** Limits and trust of a {@link createGuardedFetch} function. */
export interface GuardedFetchOptions {
  /** Time allowed per request, resolution to the end of the body, in ms. */
  readonly timeout: number
  /** Most response body bytes accepted; a larger body fails the request. @default 1048576 */
  readonly maxResponseBytes?: number
  /** Trusted CA certificates (PEM), replacing Node's defaults. */
  readonly ca?: CaCertificates
  /** Allows plain `http:` to loopback hosts, for tests and development. @default false */
  readonly allowInsecureHttp?: boolean
  /** Non-public addresses the SSRF guard lets through, as for `createSender`. @default [] */
  readonly allowPrivateAddresses?: readonly string[]
  /** @default the system resolver */
  readonly resolve?: ResolveHost
}

/** The part of `fetch` that OAuth clients such as oauth4webapi call. */
export type GuardedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/** Statuses whose response must not have a body in the Fetch API. */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

function forbidden(message: string): DeliveryAttemptError {
  return new DeliveryAttemptError('ERR_ADDRESS_FORBIDDEN', message, { retryable: false })
}

async function bodyBytes(body: RequestInit['body']): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string' || body instanceof URLSearchParams) {
    return Buffer.from(body.toString(), 'utf8')
  }
  if (body instanceof ArrayBuffer) return Buffer.from(body)
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  return Buffer.from(await new Response(body).arrayBuffer())
}

function requestMethod(method: string | undefined): 'GET' | 'POST' | 'PUT' {
  const upper = (method ?? 'GET').toUpperCase()
  if (upper === 'GET' || upper === 'POST' || upper === 'PUT') return upper
  throw new TypeError(`guarded fetch: method ${upper} is not supported`)
}

/**
 * Creates a `fetch`-compatible function over hookseal's bounded HTTP, for OAuth libraries that take
 * a custom fetch (oauth4webapi's `customFetch`): TLS 1.2 or newer, no redirects followed (a 3xx is
 * returned as it is), one timeout over resolution, connect and body, a response size cap, and the
 * SSRF guard on every address connected to.
 *
 * > [!NOTE]
 * > Private, loopback, link-local and reserved addresses are refused unless listed in
 * > `allowPrivateAddresses`; plain `http:` only with `allowInsecureHttp` and only to loopback.
 *
 * @example
 * ```ts
 * const guardedFetch = createGuardedFetch({ timeout: 10_000 })
 * const response = await guardedFetch('https://as.example/.well-known/oauth-authorization-server')
 * ```
 */
export function createGuardedFetch(options: GuardedFetchOptions): GuardedFetch {
  const { timeout, ca, allowInsecureHttp = false, resolve = systemResolve } = options
  const maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024
  const policy = createAddressPolicy(options.allowPrivateAddresses)
  const secureLookup: LookupFunction = guardedLookup(policy, resolve, false)
  const loopbackLookup: LookupFunction = guardedLookup(policy, resolve, true)

  return async function guardedFetch(input, init = {}) {
    const request = input instanceof Request ? input : undefined
    const url = new URL(request?.url ?? (input instanceof URL ? input.href : String(input)))
    init.signal?.throwIfAborted()
    if (url.protocol === 'http:') {
      if (!allowInsecureHttp || !isLoopbackHost(url.hostname)) {
        throw forbidden(`${url.origin} is plain http: (allowed only to loopback, when enabled)`)
      }
    } else if (url.protocol !== 'https:') {
      throw forbidden(`${url.protocol} URLs are not fetched`)
    }
    // Node connects to an IP literal without any lookup, so a literal is checked here.
    const refusal = policy.literalRefusal(url.hostname)
    if (refusal !== undefined) throw forbidden(`${url.host} is a ${refusal} address`)

    const headers: Record<string, string> = {}
    new Headers(init.headers ?? request?.headers).forEach((value, name) => {
      headers[name] = value
    })
    const body = await bodyBytes(init.body ?? (request === undefined ? undefined : request.body))
    if (body !== undefined) headers['content-length'] = String(body.length)
    const response = await boundedRequest(url, {
      method: requestMethod(init.method ?? request?.method),
      headers,
      ...(body === undefined ? {} : { body }),
      timeout,
      maxResponseBytes,
      overflow: 'fail',
      lookup: url.protocol === 'https:' ? secureLookup : loopbackLookup,
      ...(ca === undefined ? {} : { ca }),
    })
    const responseHeaders = new Headers()
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined) continue
      for (const one of Array.isArray(value) ? value : [value]) responseHeaders.append(name, one)
    }
    const result = new Response(NULL_BODY.has(response.status) ? null : response.body, {
      status: response.status,
      headers: responseHeaders,
    })
    // oauth4webapi reads the URL of what it fetched, as real fetch reports it.
    Object.defineProperty(result, 'url', { value: url.href })
    return result
  }
}
