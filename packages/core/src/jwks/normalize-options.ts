import type { FreshnessBounds } from './cache-control.js'
import type { FetchJwksOptions } from './fetch-jwks.js'
import type { KeySetEvent, RemoteKeySetOptions } from './types.js'
import { parseSecureUrl } from '../lib/parse-secure-url.js'
import { MAX_TIMER_MS, numberOption } from '../lib/number-option.js'
import { failWith } from '../lib/fail-with.js'
import type { Fail } from '../lib/fail-with.js'

const fail: Fail = failWith('createRemoteKeySet')

/** Options after validation, with every default filled in. */
export interface NormalizedRemoteKeySetOptions {
  readonly url: URL
  readonly fetch: FetchJwksOptions
  readonly freshness: FreshnessBounds
  readonly maxKeys: number
  readonly cooldown: number
  readonly backoff: number
  readonly maxBackoff: number
  readonly staleWindow: number
  readonly onEvent: ((event: KeySetEvent) => void) | undefined
}

function isCertificate(value: unknown): boolean {
  return typeof value === 'string' || Buffer.isBuffer(value)
}

/**
 * Validates a key set's options once and fills in the defaults, so that misuse throws at start-up
 * and no request pays for the checks.
 *
 * @throws TypeError for a bad URL (see `parseSecureUrl`), a number that is not finite and positive
 *   (`staleWindow` may be 0), `minCacheMaxAge` above `maxCacheMaxAge`, `backoff` above `maxBackoff`,
 *   a `ca` that is not PEM text or a Buffer, or an `onEvent` that is not a function.
 *
 * @example
 * ```ts
 * const options = normalizeRemoteKeySetOptions({ jwksUri: 'https://sender.example/jwks.json' })
 * options.cooldown // 30000
 * ```
 */
export function normalizeRemoteKeySetOptions(
  options: RemoteKeySetOptions,
): NormalizedRemoteKeySetOptions {
  if (typeof options !== 'object' || options === null) {
    fail('options must be an object')
  }
  const url = parseSecureUrl(options.jwksUri, 'jwksUri', options.allowInsecureHttp === true)

  const { ca, onEvent } = options
  if (ca !== undefined && !(isCertificate(ca) || (Array.isArray(ca) && ca.every(isCertificate)))) {
    fail('ca must be PEM text, a Buffer, or an array of them')
  }
  if (onEvent !== undefined && typeof onEvent !== 'function') {
    fail('onEvent must be a function')
  }

  const timeout = numberOption(fail, 'timeout', options.timeout, 5000, { max: MAX_TIMER_MS })
  const maxResponseBytes = numberOption(
    fail,
    'maxResponseBytes',
    options.maxResponseBytes,
    1024 * 1024,
    {
      integer: true,
    },
  )
  const maxKeys = numberOption(fail, 'maxKeys', options.maxKeys, 100, { integer: true })
  const defaultMs = numberOption(fail, 'cacheMaxAge', options.cacheMaxAge, 10 * 60_000)
  const minMs = numberOption(fail, 'minCacheMaxAge', options.minCacheMaxAge, 60_000)
  const maxMs = numberOption(fail, 'maxCacheMaxAge', options.maxCacheMaxAge, 24 * 60 * 60_000)
  if (minMs > maxMs) fail('minCacheMaxAge must not exceed maxCacheMaxAge')
  const cooldown = numberOption(fail, 'cooldown', options.cooldown, 30_000)
  const backoff = numberOption(fail, 'backoff', options.backoff, 5000)
  const maxBackoff = numberOption(fail, 'maxBackoff', options.maxBackoff, 60_000)
  if (backoff > maxBackoff) fail('backoff must not exceed maxBackoff')
  // Zero is a real choice here: never verify with keys past their freshness.
  const staleWindow = numberOption(fail, 'staleWindow', options.staleWindow, 60 * 60_000, {
    allowZero: true,
  })

  return {
    url,
    fetch: { timeout, maxResponseBytes, ...(ca === undefined ? {} : { ca }) },
    freshness: { defaultMs, minMs, maxMs },
    maxKeys,
    cooldown,
    backoff,
    maxBackoff,
    staleWindow,
    onEvent,
  }
}
