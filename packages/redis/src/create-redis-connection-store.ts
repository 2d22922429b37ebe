import { createHash, randomUUID } from 'node:crypto'
import { failWith } from '@hookseal/core/http'
import type { Fail } from '@hookseal/core/http'
import type { ConnectionStore, PendingAuthorization, StoredConnection } from '@hookseal/core/send'

/** The one command the store sends: `EVAL`. An ioredis `Redis` client fits. */
export interface ConnectionRedisClient {
  eval(script: string, numkeys: number, ...args: Array<string | number>): Promise<unknown>
}

export interface RedisConnectionStoreOptions {
  /** The connection, owned (and closed) by the caller. */
  client: ConnectionRedisClient
  /** Prepended to every key, so that several applications can share one Redis. */
  prefix?: string
}

const fail: Fail = failWith('createRedisConnectionStore')

const SET_EXPIRING = "return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])"
const GET = "return redis.call('GET', KEYS[1])"
const SET = "return redis.call('SET', KEYS[1], ARGV[1])"
const DEL = "return redis.call('DEL', KEYS[1])"
// Read and delete in one step: of two callbacks with one state, exactly one finds it.
const TAKE = `
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
return value`
const LOCK = "return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])"
// Only the holder's own token releases the lock: a holder whose lock ran out and was taken over
// must not release the new holder's.
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

function parsed<T>(value: unknown, what: string): T | undefined {
  if (value === null || value === undefined) return undefined
  if (typeof value !== 'string') throw new TypeError(`Redis returned a ${typeof value} for ${what}`)
  return JSON.parse(value) as T
}

/**
 * A connection store in Redis, shared by every sender process: the customers' connections (tokens
 * sealed by `createConnections` before they arrive here), the pending authorizations with their
 * expiry, and a refresh lock per customer (`SET NX PX` with a token only its holder can release),
 * so that of several processes refreshing one customer's token at once only one spends the
 * refresh token and the others use what it stored.
 *
 * > [!NOTE]
 * > Losing the Redis data loses the connections (the customers connect again) and leaks nothing:
 * > without the `encryptionKeys` the stored tokens are AES-256-GCM ciphertext.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createConnections } from '@hookseal/core/send'
 * import { createRedisConnectionStore } from '@hookseal/redis'
 *
 * const client = new Redis(process.env.REDIS_URL!)
 * const connections = createConnections({
 *   ...options,
 *   store: createRedisConnectionStore({ client, prefix: 'billing:connections:' }),
 * })
 * ```
 */
export function createRedisConnectionStore(options: RedisConnectionStoreOptions): ConnectionStore {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const { client, prefix = 'hookseal:connections:' } = options
  if (typeof client?.eval !== 'function') fail('client must be a Redis client (eval)')
  if (typeof prefix !== 'string') fail('prefix must be a string')

  // State values are bearer secrets of a sort; hashed, they never appear in a key listing.
  const stateKey = (state: string): string =>
    `${prefix}state:${createHash('sha256').update(state).digest('hex')}`
  const connectionKey = (customer: string): string => `${prefix}connection:${customer}`
  const lockKey = (customer: string): string => `${prefix}lock:${customer}`

  return {
    async saveAuthorization(state, pending) {
      const ttl = Math.max(1, Math.ceil(pending.expiresAt - Date.now()))
      await client.eval(SET_EXPIRING, 1, stateKey(state), JSON.stringify(pending), ttl)
    },
    async takeAuthorization(state) {
      const pending = parsed<PendingAuthorization>(
        await client.eval(TAKE, 1, stateKey(state)),
        'a pending authorization',
      )
      return pending !== undefined && pending.expiresAt > Date.now() ? pending : undefined
    },
    async get(customer) {
      return parsed<StoredConnection>(await client.eval(GET, 1, connectionKey(customer)), customer)
    },
    async put(connection) {
      await client.eval(SET, 1, connectionKey(connection.customer), JSON.stringify(connection))
    },
    async delete(customer) {
      await client.eval(DEL, 1, connectionKey(customer))
    },
    async lock(customer, ttlMs) {
      const token = randomUUID()
      const key = lockKey(customer)
      const taken = await client.eval(LOCK, 1, key, token, Math.max(1, Math.ceil(ttlMs)))
      if (taken !== 'OK') return undefined
      return async () => {
        await client.eval(UNLOCK, 1, key, token)
      }
    },
  }
}
