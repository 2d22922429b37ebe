export { createRedisReplayStore, ReplayStoreUnavailableError } from './create-redis-replay-store.js'

export type {
  RedisReplayStoreEvent,
  RedisReplayStoreOptions,
  ReplayRedisClient,
  ReplayStoreDataLossEvent,
  ReplayStoreUnavailableEvent,
  ReplayStoreUnavailableReason,
} from './create-redis-replay-store.js'
export { createRedisConnectionStore } from './create-redis-connection-store.js'
export type {
  ConnectionRedisClient,
  RedisConnectionStoreOptions,
} from './create-redis-connection-store.js'
