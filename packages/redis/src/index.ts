export { createRedisReplayStore, ReplayStoreUnavailableError } from './create-redis-replay-store.js'
export type {
  RedisReplayStoreEvent,
  RedisReplayStoreOptions,
  ReplayRedisClient,
  ReplayStoreDataLossEvent,
  ReplayStoreUnavailableEvent,
  ReplayStoreUnavailableReason,
} from './create-redis-replay-store.js'
export { createQueuedSender } from './queue-sender.js'
export { createDeliveryWorker } from './worker.js'
export { DeliveryQueueError } from './queue-error.js'
export { DEFAULT_QUEUE_NAME } from './queue-job.js'
export type { QueuedSender, QueuedSenderOptions } from './queue-sender.js'
export type { DeliveryJobOutcome, DeliveryWorker, DeliveryWorkerOptions } from './worker.js'
export type { DeliveryQueueErrorCode } from './queue-error.js'
export type { QueuedDeliveryData } from './queue-job.js'
export type { StoredDeadLetter } from './dead-letter-store.js'
