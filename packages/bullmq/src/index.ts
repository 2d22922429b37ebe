export { createQueuedSender } from './create-queued-sender.js'
export { createDeliveryWorker } from './create-delivery-worker.js'
export { DeliveryQueueError } from './delivery-queue-error.js'
export { DEFAULT_QUEUE_NAME } from './queue-job.js'
export { reportCircuitState } from './report-circuit-state.js'
export { DEFAULT_SCHEDULE } from './retry-schedule.js'

export type { QueuedSender, QueuedSenderOptions } from './create-queued-sender.js'
export type {
  CircuitOptions,
  DeliveryJobOutcome,
  DeliveryWorker,
  DeliveryWorkerOptions,
  DestinationEvent,
  DestinationPolicy,
} from './create-delivery-worker.js'
export type { DeliveryQueueErrorCode } from './delivery-queue-error.js'
export type { QueuedDelivery, QueuedDeliveryData } from './queue-job.js'
export type { StoredDeadLetter } from './dead-letter-store.js'
export type { CircuitState } from './report-circuit-state.js'
export type { DestinationInfo, DestinationState } from './destination-store.js'
export type { DeliveryRecord, DeliveryState, ReplayFilter } from './operator-view.js'
