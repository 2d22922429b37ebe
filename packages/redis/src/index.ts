export { createRedisReplayStore, ReplayStoreUnavailableError } from './create-redis-replay-store.js'

export type {
  RedisReplayStoreEvent,
  RedisReplayStoreOptions,
  ReplayRedisClient,
  ReplayStoreUnavailableEvent,
} from './create-redis-replay-store.js'
