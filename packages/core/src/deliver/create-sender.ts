import { callListener } from '../lib/call-listener.js'
import { instrumentSend, traceAttempt } from '../telemetry/instrument-delivery.js'
import { backoffDelay } from './backoff-delay.js'
import { checkDestination } from './check-destination.js'
import { concurrentSigning } from './concurrent-signing.js'
import { createConnectionPool } from './create-connection-pool.js'
import { connectionAuth } from './connection-auth.js'
import { DeliveryError } from './delivery-error.js'
import type { DeliveryAttemptError } from './delivery-error.js'
import { normalizeSenderOptions } from './normalize-sender-options.js'
import { performAttempt } from './perform-attempt.js'
import type { AttemptTarget } from './perform-attempt.js'
import { prepareDelivery } from './prepare-delivery.js'
import type {
  DeadLetter,
  DeadLetterReason,
  Delivery,
  DeliveryAttempt,
  DeliveryEvent,
  DeliveryResult,
  Sender,
  SenderOptions,
} from './types.js'

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A 401 that a fresh bearer token may turn into a success. */
function tokenRefused(error: DeliveryAttemptError): boolean {
  return error.code === 'ERR_RESPONSE_STATUS' && error.status === 401
}

/**
 * Creates a sender of signed webhooks.
 *
 * Each attempt is signed afresh (new `jti` and `iat`, same `Webhook-Id`) and sent over HTTPS with
 * TLS 1.2 or newer, following no redirect and reading at most `maxResponseBytes` of the answer.
 * Network errors, timeouts, 408, 425, 429 and 5xx are retried after a random wait of up to
 * `backoff · 2^retry` (at most `maxBackoff`), or after the receiver's `Retry-After` (at most
 * `maxRetryAfter`), within `maxAttempts` and `maxElapsed`. Anything else that is not a 2xx fails at
 * once. A webhook that was not delivered goes to `onDeadLetter` with every attempt's outcome before
 * `send` rejects: none is dropped silently.
 *
 * Destinations are checked before anything is signed: HTTPS only, on an `allowedHosts` host, and an
 * IP-literal host must be public. A host name's addresses are checked as the connection is made,
 * on the very addresses the socket uses, so DNS rebinding cannot slip a private address in.
 * Connections are kept open per origin (`keepAlive`) and reused after a 2xx; each new one is checked
 * in the same way, and `close` ends them. While more than one attempt is in flight, a signer from
 * `createSigner` makes RS256 signatures on the libuv thread pool (`UV_THREADPOOL_SIZE` threads), so
 * that signing and HTTP use more than one core; an attempt alone signs on the calling thread.
 *
 * > [!NOTE]
 * > Private, loopback, link-local (cloud metadata), CGNAT, multicast and reserved addresses are
 * > refused unless listed in `allowPrivateAddresses`: a partner's callback URL must not become a way
 * > into the sender's own network.
 *
 * @param options The signer, the dead-letter sink, and the delivery policy; checked here, once.
 * @throws TypeError when an option is invalid (see {@link SenderOptions}).
 *
 * @example
 * ```ts
 * const sender = createSender({
 *   signer: createSigner({ issuer: 'https://partner.example', keys }),
 *   onDeadLetter: (letter) => deadLetters.put(letter.delivery.webhookId, letter),
 *   allowedHosts: ['hooks.customer.example'],
 *   auth: { 'hooks.customer.example': { headers: { 'ocp-apim-subscription-key': apiKey } } },
 * })
 * const result = await sender.send({
 *   url: 'https://hooks.customer.example/webhooks',
 *   body: JSON.stringify({ type: 'invoice.paid', invoice: 'in_1042' }),
 * })
 * result.attempts.length // 1 when the receiver answered 2xx at once
 * ```
 */
export function createSender(options: SenderOptions): Sender {
  const normalized = normalizeSenderOptions(options)
  const signing = concurrentSigning(normalized.signer)
  const config = { ...normalized, signer: signing.signer }
  const pool = createConnectionPool(options.keepAlive)

  const emit = callListener<DeliveryEvent>(config.onEvent)

  async function send(delivery: Delivery): Promise<DeliveryResult> {
    const prepared = prepareDelivery(delivery)
    const { webhookId } = prepared
    const url = checkDestination(prepared.url, config, webhookId)
    const target: AttemptTarget = {
      url,
      delivery: prepared,
      auth: connectionAuth(config, config.authFor(url), prepared.connection),
      agent: pool.agentFor(url),
    }
    const started = performance.now()
    const elapsed = (): number => performance.now() - started
    const attempts: DeliveryAttempt[] = []

    async function deadLetter(
      reason: DeadLetterReason,
      error: DeliveryAttemptError,
    ): Promise<never> {
      const letter: DeadLetter = {
        delivery: prepared.record(url.href),
        reason,
        attempts: [...attempts],
        error,
      }
      emit({
        type: 'delivery-dead-letter',
        url: url.href,
        webhookId,
        reason,
        attempts: attempts.length,
        error,
      })
      let deadLetterError: unknown
      try {
        await config.onDeadLetter(letter)
      } catch (err) {
        deadLetterError = err
      }
      const tries = attempts.length === 1 ? '1 attempt' : `${attempts.length} attempts`
      throw new DeliveryError(
        'ERR_DELIVERY_FAILED',
        `webhook ${webhookId} to ${url.host} was not delivered (${reason}, ${tries}): ${error.message}`,
        { webhookId, deadLetter: letter, deadLetterError, cause: error },
      )
    }

    /** Attempts that count against maxAttempts: all but the repeat after a token refresh. */
    let counted = 0
    let tokenRefreshed = false
    for (;;) {
      const timeout = Math.min(config.timeout, Math.max(1, config.maxElapsed - elapsed()))
      const attempt = attempts.length + 1
      const outcome = await traceAttempt(target, attempt, () =>
        signing.attempt(() => performAttempt(config, target, attempt, timeout)),
      )
      attempts.push(outcome.record)
      emit({ type: 'delivery-attempt', url: url.href, webhookId, attempt: outcome.record })

      if (outcome.error === undefined) {
        const { response } = outcome
        const durationMs = Math.round(elapsed())
        emit({
          type: 'delivery-success',
          url: url.href,
          webhookId,
          status: response.status,
          attempts: attempts.length,
          durationMs,
        })
        return {
          webhookId,
          status: response.status,
          attempts,
          responseBody: response.body.toString('utf8'),
          responseTruncated: response.truncated,
          durationMs,
        }
      }
      const { error } = outcome
      const tokens = target.auth?.tokens
      if (
        tokenRefused(error) &&
        tokens !== undefined &&
        outcome.token !== undefined &&
        !tokenRefreshed &&
        elapsed() < config.maxElapsed
      ) {
        // The token may have been revoked or rotated early: one fresh token, one immediate repeat.
        tokenRefreshed = true
        tokens.invalidate(outcome.token)
        emit({
          type: 'delivery-retry',
          url: url.href,
          webhookId,
          attempt: attempts.length + 1,
          delayMs: 0,
          error,
        })
        continue
      }

      counted++
      if (!error.retryable) return deadLetter('permanent-failure', error)
      if (counted >= config.maxAttempts) return deadLetter('attempts-exhausted', error)
      const delayMs =
        outcome.retryAfterMs === undefined
          ? backoffDelay(counted - 1, config.backoff, config.maxBackoff, Math.random())
          : Math.min(outcome.retryAfterMs, config.maxRetryAfter)
      // A wait that would end past the budget leaves no time for the attempt after it.
      if (elapsed() + delayMs >= config.maxElapsed) return deadLetter('time-exhausted', error)
      emit({
        type: 'delivery-retry',
        url: url.href,
        webhookId,
        attempt: attempts.length + 1,
        delayMs,
        error,
      })
      await sleep(delayMs)
    }
  }

  return Object.freeze({
    send: instrumentSend(send),
    close() {
      pool.close()
      return Promise.resolve()
    },
  })
}
