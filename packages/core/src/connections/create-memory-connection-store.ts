import type { ConnectionStore, PendingAuthorization, StoredConnection } from './types.js'

/**
 * Creates a connection store in this process's memory: the default of `createConnections`. Its
 * connections are lost on restart (the customers then connect again) and are not shared between
 * processes; use `createRedisConnectionStore` from `@hookseal/redis` for that.
 *
 * @example
 * ```ts
 * const connections = createConnections({ ...options, store: createMemoryConnectionStore() })
 * ```
 */
export function createMemoryConnectionStore(): ConnectionStore {
  const pending = new Map<string, PendingAuthorization>()
  const connections = new Map<string, StoredConnection>()
  const locks = new Map<string, { token: symbol; until: number }>()

  return {
    async saveAuthorization(state, authorization) {
      // Expired entries go on each write, so abandoned authorizations cannot pile up.
      const now = Date.now()
      for (const [key, entry] of pending) if (entry.expiresAt <= now) pending.delete(key)
      pending.set(state, authorization)
    },
    async takeAuthorization(state) {
      const entry = pending.get(state)
      pending.delete(state)
      return entry !== undefined && entry.expiresAt > Date.now() ? entry : undefined
    },
    async get(customer) {
      return connections.get(customer)
    },
    async put(connection) {
      connections.set(connection.customer, connection)
    },
    async delete(customer) {
      connections.delete(customer)
    },
    async lock(customer, ttlMs) {
      const held = locks.get(customer)
      if (held !== undefined && held.until > Date.now()) return undefined
      const token = Symbol(customer)
      locks.set(customer, { token, until: Date.now() + ttlMs })
      return async () => {
        if (locks.get(customer)?.token === token) locks.delete(customer)
      }
    },
  }
}
