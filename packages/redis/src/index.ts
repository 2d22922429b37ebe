export { createRedisReplayStore, ReplayStoreUnavailableError } from './create-redis-replay-store.js'

export type {
  RedisReplayStoreEvent,
  RedisReplayStoreOptions,
  ReplayRedisClient,
  ReplayStoreDataLossEvent,
  ReplayStoreUnavailableEvent,
  ReplayStoreUnavailableReason,
} from './create-redis-replay-store.js'
