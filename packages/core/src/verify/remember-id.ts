import { RetryableWebhookError, WebhookError } from '../errors/webhook-error.js'
import type { ReplayStore } from '../replay/replay-store.js'

/**
 * Records a webhook's replay key until `acceptableUntil` (epoch seconds) and refuses one seen before.
 * A replay store that fails must not accept the webhook, nor lose it: the sender retries on 503.
 */
export async function rememberId(
  store: ReplayStore,
  key: string,
  acceptableUntil: number,
): Promise<void> {
  let first: boolean
  try {
    first = await store.remember(key, acceptableUntil * 1000)
  } catch (cause) {
    throw new RetryableWebhookError(
      'ERR_REPLAY_STORE_UNAVAILABLE',
      'replay protection is unavailable',
      30,
      { cause },
    )
  }
  if (!first) throw new WebhookError('ERR_REPLAY', 'this webhook was already received')
}
