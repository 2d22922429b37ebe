import type { IncomingHttpHeaders } from 'node:http'
import { boundedRequest } from '../lib/bounded-request.js'
import type { CaCertificates } from '../lib/bounded-request.js'
import { parseSecureUrl } from '../lib/parse-secure-url.js'
import { createAddressPolicy } from './address-policy.js'
import type { AddressPolicy } from './address-policy.js'
import { DeliveryAttemptError } from './delivery-error.js'
import { guardedLookup, systemResolve } from './guarded-lookup.js'
import type { ResolveHost } from './guarded-lookup.js'

/** Options of {@link createGuardedFetch}: the same limits and trust a sender applies. */
export interface GuardedFetchOptions {
  /** Time allowed for one request, name resolution to the end of the response, in ms. @default 10000 */
  timeout?: number
  /** Most response body bytes; a longer response fails the request. @default 65536 */
  maxResponseBytes?: number
  /** Non-public addresses that may be connected to, as the sender's option of that name. @default [] */
  allowPrivateAddresses?: readonly string[]
  /** The caller's address policy, already built from its `allowPrivateAddresses`: used instead. */
  addressPolicy?: AddressPolicy
  /** Allows plain `http:` to loopback hosts, for tests and local development. @default false */
  allowInsecureHttp?: boolean
  /** Trusted CA certificates (PEM), replacing Node's default roots. */
  ca?: CaCertificates
  /** Resolves host names; every address is checked before it is used. @default the system resolver */
  resolve?: ResolveHost
}

/** The part of `fetch` that hookseal's OAuth calls need. */
export type GuardedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/** Statuses whose response must not have a body: `new Response` refuses one. */
const NULL_BODY_STATUS = new Set([101, 204, 205, 304])
const METHODS = new Set(['GET', 'POST', 'PUT'])

function responseHeaders(headers: IncomingHttpHeaders): Headers {
  const result = new Headers()
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) result.append(name, item)
  }
  return result
}

async function requestBody(request: Request): Promise<Uint8Array | undefined> {
  if (request.body === null) return undefined
  return new Uint8Array(await request.arrayBuffer())
}

/**
 * Creates a `fetch`-compatible function that makes every request the way a sender's deliveries are
 * made: HTTPS with TLS 1.2 or newer (plain `http:` only to loopback with `allowInsecureHttp`), one
 * timeout over the whole response, a cap on the response size, no redirect ever followed (a 3xx is
 * returned as it is), and the SSRF guard on every address actually connected to. It is what
 * hookseal hands to `oauth4webapi` as its `customFetch`, so that OAuth calls cannot be pointed at
 * the sender's own network.
 *
 * Requests that break a rule reject: a `TypeError` for a URL that is not acceptable or a method
 * other than GET, POST and PUT, a `DeliveryAttemptError` (`ERR_ADDRESS_FORBIDDEN`) for a refused
 * address, and the bounded request's error for a timeout or a response over the cap.
 *
 * @example
 * ```ts
 * const guardedFetch = createGuardedFetch({ timeout: 5000 })
 * const response = await guardedFetch('https://auth.partner.example/token', {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/x-www-form-urlencoded' },
 *   body: new URLSearchParams({ grant_type: 'client_credentials' }),
 * })
 * ```
 */
export function createGuardedFetch(options: GuardedFetchOptions = {}): GuardedFetch {
  const {
    timeout = 10_000,
    maxResponseBytes = 64 * 1024,
    allowInsecureHttp = false,
    ca,
    resolve = systemResolve,
  } = options
  const policy = options.addressPolicy ?? createAddressPolicy(options.allowPrivateAddresses)
  const secureLookup = guardedLookup(policy, resolve, false)
  const loopbackLookup = guardedLookup(policy, resolve, true)

  return async function guardedFetch(input, init) {
    const request = new Request(input, init)
    const url = parseSecureUrl(request.url, 'url', allowInsecureHttp)
    if (!METHODS.has(request.method)) {
      throw new TypeError(`method ${request.method} is not supported`)
    }
    const refusal = policy.literalRefusal(url.hostname)
    if (refusal !== undefined) {
      throw new DeliveryAttemptError(
        'ERR_ADDRESS_FORBIDDEN',
        `${url.hostname} is a ${refusal} address`,
        { retryable: false },
      )
    }
    const headers = Object.fromEntries(request.headers)
    const body = await requestBody(request)
    const response = await boundedRequest(url, {
      method: request.method as 'GET' | 'POST' | 'PUT',
      headers: body === undefined ? headers : { ...headers, 'content-length': body.length },
      ...(body === undefined ? {} : { body }),
      timeout,
      maxResponseBytes,
      overflow: 'fail',
      lookup: url.protocol === 'https:' ? secureLookup : loopbackLookup,
      // The caller's signal ends the request early, as it would with `fetch`.
      signal: request.signal,
      ...(ca === undefined ? {} : { ca }),
    })
    return new Response(NULL_BODY_STATUS.has(response.status) ? null : response.body, {
      status: response.status,
      headers: responseHeaders(response.headers),
    })
  }
}
