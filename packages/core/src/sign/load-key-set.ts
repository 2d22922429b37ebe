import type {
  AddSigningKeyInput,
  LoadKeySetOptions,
  PublicJwks,
  SigningKeyInfo,
  SigningKeyInput,
  SigningKeySet,
  SigningKeyState,
} from './key-set-types.js'
import { failWith } from '../lib/fail-with.js'
import { numberOption } from '../lib/number-option.js'
import type { Fail } from '../lib/fail-with.js'
import { prepareSigningKey } from './prepare-signing-key.js'
import type { PreparedSigningKey } from './prepare-signing-key.js'
import { registerSigningKeySet } from './signing-key-registry.js'

interface KeyEntry {
  readonly key: PreparedSigningKey
  readonly state: SigningKeyState
  readonly addedAt: number
  readonly retiredAt?: number
}

const STATE_ORDER: Readonly<Record<SigningKeyState, number>> = { active: 0, next: 1, retired: 2 }

/**
 * Loads the sender's private keys, once, and checks each the way a receiver will: a key that cannot
 * sign, or whose published JWK a hookseal receiver would refuse, throws here rather than failing
 * every delivery later.
 *
 * Keys move through three states. `next` is published in {@link SigningKeySet.jwks} but does not
 * sign, so that receivers can learn it before its first token; `active` signs (exactly one);
 * `retired` no longer signs and stays published for `maxTokenLifetime + clockTolerance` seconds
 * after it was retired, the longest any token it signed can still be accepted, and is then
 * dropped. {@link SigningKeySet.rotate} promotes `next` to `active` and retires the active key.
 *
 * > [!NOTE]
 * > Rotate only once the next key has been published longer than receivers cache the JWKS (the
 * > `Cache-Control: max-age` it is served with). hookseal receivers refetch on an unknown kid,
 * > at most once per cooldown, so an early rotation is survivable but not free.
 *
 * @param options The keys and the token lifetime they serve; checked here, once.
 * @throws TypeError when a key cannot be read or used (a public key, an HMAC secret, RSA under 2048
 * bits, an unsupported curve or algorithm, an `alg` that does not fit the key), when two keys share
 * a kid, when not exactly one key is `active`, or when more than one is `next`.
 *
 * @example
 * ```ts
 * const keys = await loadKeySet({
 *   keys: [
 *     { file: '/run/secrets/webhook-key-2026-07.pem', state: 'active' },
 *     { env: 'WEBHOOK_KEY_NEXT', state: 'next' },
 *   ],
 * })
 * app.get('/.well-known/jwks.json', (req, res) => res.json(keys.jwks()))
 * ```
 */
export async function loadKeySet(options: LoadKeySetOptions): Promise<SigningKeySet> {
  const fail = failWith('loadKeySet')
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const { keys: inputs, maxTokenLifetime = 300, clockTolerance = 30 } = options
  if (!Array.isArray(inputs) || inputs.length === 0) fail('keys must be a non-empty array')
  numberOption(fail, 'maxTokenLifetime', maxTokenLifetime, 300, { integer: true, unit: 'seconds' })
  numberOption(fail, 'clockTolerance', clockTolerance, 30, {
    integer: true,
    allowZero: true,
    unit: 'seconds',
  })
  const windowMs = (maxTokenLifetime + clockTolerance) * 1000

  const loadedAt = Date.now()
  let entries: readonly KeyEntry[] = await Promise.all(
    inputs.map((input: SigningKeyInput, index) =>
      loadEntry(input, 'active', loadedAt, failWith(`loadKeySet: keys[${index}]`)),
    ),
  )
  checkEntries(entries, fail)
  let active = activeEntry(entries)

  function commit(next: readonly KeyEntry[]): void {
    entries = next
    active = activeEntry(next)
  }

  function publishedUntil(entry: KeyEntry): number | undefined {
    return entry.retiredAt === undefined ? undefined : entry.retiredAt + windowMs
  }

  /** Retired keys whose last token can no longer be accepted are forgotten, private key and all. */
  function current(): readonly KeyEntry[] {
    const now = Date.now()
    const live = entries.filter((entry) => (publishedUntil(entry) ?? Infinity) > now)
    if (live.length !== entries.length) commit(live)
    return entries
  }

  function infoOf(entry: KeyEntry): SigningKeyInfo {
    const until = publishedUntil(entry)
    return {
      kid: entry.key.kid,
      alg: entry.key.alg,
      state: entry.state,
      addedAt: entry.addedAt,
      ...(entry.retiredAt === undefined ? {} : { retiredAt: entry.retiredAt }),
      ...(until === undefined ? {} : { publishedUntil: until }),
    }
  }

  function ordered(): KeyEntry[] {
    return [...current()].sort(
      (a, b) =>
        STATE_ORDER[a.state] - STATE_ORDER[b.state] || (b.retiredAt ?? 0) - (a.retiredAt ?? 0),
    )
  }

  const keySet: SigningKeySet = Object.freeze({
    maxTokenLifetime,
    clockTolerance,

    jwks(): PublicJwks {
      return { keys: ordered().map((entry) => ({ ...entry.key.jwk })) }
    },

    keys(): SigningKeyInfo[] {
      return ordered().map(infoOf)
    },

    rotate(): SigningKeyInfo {
      const now = Date.now()
      const next = current().find((entry) => entry.state === 'next')
      if (next === undefined) {
        throw new Error(
          'rotate: there is no next key to activate; add one with add({ ..., state: "next" }) ' +
            'and publish it before rotating',
        )
      }
      const promoted: KeyEntry = { ...next, state: 'active' }
      commit(
        entries.map((entry) =>
          entry === next
            ? promoted
            : entry.state === 'active'
              ? { ...entry, state: 'retired', retiredAt: now }
              : entry,
        ),
      )
      return infoOf(promoted)
    },

    async add(input: AddSigningKeyInput): Promise<SigningKeyInfo> {
      const addFail = failWith('add')
      if (typeof input !== 'object' || input === null) addFail('the key must be an object')
      const state = input.state ?? 'next'
      if (state !== 'next' && state !== 'retired') {
        addFail(
          `a key is added as "next" or "retired", never "${String(state)}": add it as next, publish, then rotate()`,
        )
      }
      const entry = await loadEntry({ ...input, state }, 'next', Date.now(), addFail)
      const updated = [...current(), entry]
      checkEntries(updated, addFail)
      commit(updated)
      return infoOf(entry)
    },

    remove(kid: string): boolean {
      const entry = current().find((candidate) => candidate.key.kid === kid)
      if (entry === undefined) return false
      if (entry.state === 'active') {
        throw new TypeError(`remove: key ${kid} is active; rotate() to another key first`)
      }
      commit(entries.filter((candidate) => candidate !== entry))
      return true
    },
  })

  registerSigningKeySet(keySet, () => active.key)
  return keySet
}

async function loadEntry(
  input: SigningKeyInput,
  defaultState: SigningKeyState,
  now: number,
  fail: Fail,
): Promise<KeyEntry> {
  if (typeof input !== 'object' || input === null) fail('each key must be an object')
  const state = input.state ?? defaultState
  if (state !== 'next' && state !== 'active' && state !== 'retired') {
    fail(`state must be "next", "active" or "retired", not ${JSON.stringify(state)}`)
  }
  let retiredAt: number | undefined
  if (input.retiredAt !== undefined) {
    if (state !== 'retired') fail('retiredAt is for retired keys only')
    retiredAt = input.retiredAt instanceof Date ? input.retiredAt.getTime() : input.retiredAt
    if (typeof retiredAt !== 'number' || !Number.isFinite(retiredAt)) {
      fail('retiredAt must be a Date or a time in ms since the epoch')
    }
  } else if (state === 'retired') {
    retiredAt = now
  }
  const key = await prepareSigningKey(input, fail)
  return { key, state, addedAt: now, ...(retiredAt === undefined ? {} : { retiredAt }) }
}

function checkEntries(entries: readonly KeyEntry[], fail: Fail): void {
  const kids = new Set<string>()
  for (const { key } of entries) {
    if (kids.has(key.kid)) fail(`two keys have kid ${key.kid}`)
    kids.add(key.kid)
  }
  const count = (state: SigningKeyState): number =>
    entries.filter((entry) => entry.state === state).length
  if (count('active') !== 1) {
    fail(`exactly one key must be active, not ${count('active')}: it is the one that signs`)
  }
  if (count('next') > 1) fail('at most one key may be next, so that rotate() knows which one')
}

function activeEntry(entries: readonly KeyEntry[]): KeyEntry {
  return entries.find((entry) => entry.state === 'active') as KeyEntry
}
