/**
 * Remembers which webhooks were already accepted. Implement it over a shared store (Redis, a
 * database) when several receiver instances must refuse each other's replays.
 */
export interface ReplayStore {
  /**
   * Records `id` until `expiresAtMs` (epoch milliseconds) and resolves to true the first time an id
   * is seen, false on every later call before it expires. Must be atomic for concurrent callers.
   */
  remember(id: string, expiresAtMs: number): Promise<boolean>
}
