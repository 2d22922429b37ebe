import { DeliveryQueueError } from './delivery-queue-error.js'

/**
 * Settles with `promise`, or rejects with `ERR_QUEUE_UNAVAILABLE` after `ms`: an unreachable Redis
 * makes ioredis queue commands until it reconnects, which must not leave callers waiting forever.
 */
export async function withQueueTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  webhookId?: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new DeliveryQueueError(
          'ERR_QUEUE_UNAVAILABLE',
          `${what}: Redis did not answer in ${ms} ms`,
          {
            webhookId,
          },
        ),
      )
    }, ms)
  })
  // A late rejection of the abandoned promise must not become an unhandled rejection.
  promise.catch(() => {})
  try {
    return await Promise.race([promise, timeout])
  } catch (error) {
    if (error instanceof DeliveryQueueError) throw error
    throw new DeliveryQueueError(
      'ERR_QUEUE_UNAVAILABLE',
      `${what}: ${error instanceof Error ? error.message : String(error)}`,
      { webhookId, cause: error },
    )
  } finally {
    clearTimeout(timer)
  }
}
