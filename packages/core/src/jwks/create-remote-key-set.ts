import {
  JwksUnavailableError,
  RetryableWebhookError,
  WebhookError,
} from '../errors/webhook-error.js'
import { importJwkSet } from '#runtime/crypto.js'
import type { ImportedKeySet } from '../keys/import-jwk-set.js'
import type { KeySetEntry } from '../keys/verification-key.js'
import { clampFreshness } from './cache-control.js'
import { fetchJwks } from './fetch-jwks.js'
import { JwksFetchError } from './jwks-fetch-error.js'
import { normalizeRemoteKeySetOptions } from './normalize-options.js'
import type { KeySetEvent, RemoteKeySet, RemoteKeySetOptions } from './types.js'
import { callListener } from '../lib/call-listener.js'

/** Share of the freshness lifetime after which an access starts a background refresh. */
const REFRESH_AHEAD_FRACTION = 0.8

interface CachedSet {
  readonly keys: ImportedKeySet
  /** When the fetch that got these keys started: keys published later may be missing from it. */
  readonly startedAt: number
  readonly fetchedAt: number
  readonly freshForMs: number
}

function keyNotFound(): WebhookError {
  return new WebhookError('ERR_KEY_NOT_FOUND', "the sender's JWKS has no key with the token's kid")
}

/**
 * Whether a set fetched before the token was issued leaves its kid unproven: the sender may have
 * published the key after the fetch started, and signed with it at `issuedAt` (seconds).
 */
function fetchedBeforeIssue(set: CachedSet, issuedAt: number | undefined): boolean {
  return issuedAt !== undefined && Number.isFinite(issuedAt) && issuedAt * 1000 > set.startedAt
}

function ignore(): void {}

/**
 * Creates the JWKS client for one sender: fetches its key set over HTTPS, caches the whole set,
 * refreshes it ahead of expiry, and rides out an unreachable endpoint on the last good keys.
 *
 * Any number of concurrent misses share one fetch. A kid missing from a fresh set causes one refetch
 * and then a cooldown during which unknown kids are refused at once, so that tokens with made-up kids
 * cannot make the receiver hammer the sender's endpoint. After a failed fetch, no new attempt is made
 * until an exponential backoff has elapsed.
 *
 * A kid that no fetch made after the token's `iat` has looked for may be a key the sender published
 * since: during the cooldown it is refused with `ERR_KEY_NOT_YET_FETCHED` (503, `retryAfter` the rest
 * of the cooldown), so that the sender retries once the next refetch can find it. A kid that a fetch
 * made after `iat` did not find is refused with `ERR_KEY_NOT_FOUND` (401). Neither fetches more.
 *
 * > [!NOTE]
 * > A kid that is not in a fresh set is refused with `ERR_KEY_NOT_FOUND` (401). When the set cannot
 * > prove the kid absent (its refetch failed, or only stale keys are left) the refusal is
 * > `ERR_JWKS_UNAVAILABLE` (503 with `retryAfter`) instead, so that the sender retries rather than
 * > drops the webhook.
 *
 * @param options The JWKS URL, limits and cache policy; checked here, once.
 * @throws TypeError when an option is invalid (see {@link RemoteKeySetOptions}).
 *
 * @example
 * ```ts
 * const keySet = createRemoteKeySet({ jwksUri: 'https://sender.example/.well-known/jwks.json' })
 * const entry = await keySet.getKey(header.kid)
 * ```
 */
export function createRemoteKeySet(options: RemoteKeySetOptions): RemoteKeySet {
  const config = normalizeRemoteKeySetOptions(options)
  const jwksUri = config.url.href

  let cached: CachedSet | undefined
  let flight: Promise<CachedSet> | undefined
  /** Set when a caller is waiting on the current flight because its kid was missing. */
  let flightStartsCooldown = false
  let failures = 0
  let nextAttemptAt = 0
  let lastError: JwksFetchError | undefined
  let cooldownUntil = 0

  const emit = callListener<KeySetEvent>(config.onEvent)

  async function runFetch(): Promise<CachedSet> {
    const startedAt = Date.now()
    try {
      const { document, maxAgeMs } = await fetchJwks(config.url, config.fetch)
      const keys = await importJwkSet(document, config.maxKeys)
      const fetchedAt = Date.now()
      const freshForMs = clampFreshness(maxAgeMs, config.freshness)
      const set = { keys, startedAt, fetchedAt, freshForMs }
      cached = set
      failures = 0
      nextAttemptAt = 0
      lastError = undefined
      if (flightStartsCooldown) cooldownUntil = fetchedAt + config.cooldown
      emit({
        type: 'jwks-fetch',
        jwksUri,
        keyCount: keys.size,
        maxAgeMs: set.freshForMs,
        durationMs: fetchedAt - startedAt,
      })
      return set
    } catch (cause) {
      const error =
        cause instanceof JwksFetchError
          ? cause
          : new JwksFetchError('ERR_JWKS_INVALID', 'the JWKS could not be read', { cause })
      failures += 1
      const retryInMs = Math.min(config.backoff * 2 ** (failures - 1), config.maxBackoff)
      nextAttemptAt = Date.now() + retryInMs
      lastError = error
      emit({ type: 'jwks-fetch-failed', jwksUri, error, retryInMs })
      throw error
    }
  }

  function fetchKeys(): Promise<CachedSet> {
    flight ??= runFetch().finally(() => {
      flight = undefined
      flightStartsCooldown = false
    })
    return flight
  }

  function mayStartFetch(now: number): boolean {
    return flight !== undefined || now >= nextAttemptAt
  }

  function unavailable(message: string, cause: unknown): JwksUnavailableError {
    return new JwksUnavailableError(message, (nextAttemptAt - Date.now()) / 1000, { cause })
  }

  /**
   * The refusal of a kid absent from `set`: final when the set was fetched after the token was
   * issued, else a request to retry once the cooldown allows the next refetch.
   */
  function absent(set: CachedSet, issuedAt: number | undefined, now: number): WebhookError {
    if (!fetchedBeforeIssue(set, issuedAt)) return keyNotFound()
    return new RetryableWebhookError(
      'ERR_KEY_NOT_YET_FETCHED',
      "the token's key may be newer than the sender's JWKS as last fetched",
      (cooldownUntil - now) / 1000,
    )
  }

  /** The kid was absent from a set fetched just now: the negative answer holds for the cooldown. */
  function entryAfterFetch(set: CachedSet, kid: string, issuedAt: number | undefined): KeySetEntry {
    const entry = set.keys.get(kid)
    if (entry !== undefined) return entry
    cooldownUntil = Math.max(cooldownUntil, set.fetchedAt + config.cooldown)
    throw absent(set, issuedAt, Date.now())
  }

  function refreshAheadOfExpiry(set: CachedSet, now: number): void {
    const age = now - set.fetchedAt
    // A clock that stepped backwards makes the age meaningless; refreshing early is the safe reading.
    if (age >= 0 && age < set.freshForMs * REFRESH_AHEAD_FRACTION) return
    if (flight !== undefined || now < nextAttemptAt) return
    // The failure is already reported through jwks-fetch-failed and governs the backoff; nobody waits.
    fetchKeys().catch(ignore)
  }

  async function lookUpUnknownKid(
    set: CachedSet,
    kid: string,
    issuedAt: number | undefined,
  ): Promise<KeySetEntry> {
    const now = Date.now()
    if (now < cooldownUntil) {
      emit({ type: 'jwks-cooldown', jwksUri, kid })
      throw absent(set, issuedAt, now)
    }
    emit({ type: 'jwks-unknown-kid', jwksUri, kid })
    // The kid may be a freshly rotated one that the endpoint would serve, so a failed or forbidden
    // refetch answers 503 (the sender retries) rather than 401 (the sender may give up).
    const message = "the token's key is not cached and the sender's JWKS endpoint cannot be reached"
    if (!mayStartFetch(now)) throw unavailable(message, lastError)
    flightStartsCooldown = true
    let fetched: CachedSet
    try {
      fetched = await fetchKeys()
    } catch (cause) {
      throw unavailable(message, cause)
    }
    return entryAfterFetch(fetched, kid, issuedAt)
  }

  function serveStale(kid: string, cause: unknown): KeySetEntry {
    const now = Date.now()
    if (cached !== undefined) {
      const staleForMs = now - (cached.fetchedAt + cached.freshForMs)
      const entry = cached.keys.get(kid)
      // A stale set cannot prove a kid absent: the sender may have rotated while unreachable.
      if (staleForMs < config.staleWindow && entry !== undefined) {
        emit({ type: 'jwks-stale', jwksUri, staleForMs })
        return entry
      }
    }
    throw unavailable(
      "the sender's JWKS endpoint cannot be reached and no usable key is cached",
      cause,
    )
  }

  async function lookUpWithoutFreshKeys(
    kid: string,
    issuedAt: number | undefined,
    now: number,
  ): Promise<KeySetEntry> {
    if (!mayStartFetch(now)) return serveStale(kid, lastError)
    let set: CachedSet
    try {
      set = await fetchKeys()
    } catch (cause) {
      return serveStale(kid, cause)
    }
    if (!set.keys.has(kid)) emit({ type: 'jwks-unknown-kid', jwksUri, kid })
    return entryAfterFetch(set, kid, issuedAt)
  }

  async function getKey(kid: string, issuedAt?: number): Promise<KeySetEntry> {
    const now = Date.now()
    const set = cached
    if (set === undefined || now - set.fetchedAt >= set.freshForMs) {
      return lookUpWithoutFreshKeys(kid, issuedAt, now)
    }
    refreshAheadOfExpiry(set, now)
    return set.keys.get(kid) ?? lookUpUnknownKid(set, kid, issuedAt)
  }

  /**
   * Every entry of the set, for schemes whose signatures name no key (Standard Webhooks v1a). With
   * `missedAt` (no key of the last answer verified a signature made at that time, in seconds), the
   * set is refetched once, as for an unknown kid and under the same cooldown; the answer is then
   * only the keys that are new, and empty when no refetch may or need be made.
   */
  async function allKeys(missedAt?: number): Promise<readonly KeySetEntry[]> {
    const now = Date.now()
    const set = cached
    if (missedAt === undefined) {
      if (set !== undefined && now - set.fetchedAt < set.freshForMs) {
        refreshAheadOfExpiry(set, now)
        return [...set.keys.values()]
      }
      if (mayStartFetch(now)) {
        try {
          return [...(await fetchKeys()).keys.values()]
        } catch {
          // Reported as jwks-fetch-failed and kept as lastError; the stale keys may still serve.
        }
      }
      if (set !== undefined && now - (set.fetchedAt + set.freshForMs) < config.staleWindow) {
        emit({ type: 'jwks-stale', jwksUri, staleForMs: now - (set.fetchedAt + set.freshForMs) })
        return [...set.keys.values()]
      }
      throw unavailable(
        "the sender's JWKS endpoint cannot be reached and no usable key is cached",
        lastError,
      )
    }
    if (set === undefined || !fetchedBeforeIssue(set, missedAt) || now < cooldownUntil) {
      return []
    }
    if (!mayStartFetch(now)) return []
    flightStartsCooldown = true
    let fetched: CachedSet
    try {
      fetched = await fetchKeys()
    } catch (cause) {
      throw unavailable(
        "no cached key verifies and the sender's JWKS endpoint cannot be reached",
        cause,
      )
    }
    cooldownUntil = Math.max(cooldownUntil, fetched.fetchedAt + config.cooldown)
    return [...fetched.keys.values()].filter((entry) => set.keys.get(entry.kid) !== entry)
  }

  async function refresh(): Promise<void> {
    try {
      await fetchKeys()
    } catch (cause) {
      throw unavailable("the sender's JWKS endpoint cannot be reached", cause)
    }
  }

  return Object.freeze({ jwksUri, getKey, allKeys, refresh })
}
