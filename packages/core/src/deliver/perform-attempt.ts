import type { Agent } from 'node:http'
import { BoundedRequestError, boundedRequest } from '../lib/bounded-request.js'
import type { BoundedResponse } from '../lib/bounded-request.js'
import type { AttemptRequest } from './attempt-request.js'
import { DeliveryAttemptError } from './delivery-error.js'
import type { NormalizedSenderOptions, ResolvedAuth } from './normalize-sender-options.js'
import { parseRetryAfter } from './parse-retry-after.js'
import type { PreparedDelivery } from './prepare-delivery.js'
import { isRetryableStatus } from './retryable-status.js'
import type { DeliveryAttempt } from './types.js'

/** What one attempt needs: where, what, and with which credentials. */
export interface AttemptTarget {
  readonly url: URL
  readonly delivery: PreparedDelivery
  readonly auth: ResolvedAuth | undefined
  /** The origin's keep-alive pool, or `false` for a connection of its own. */
  readonly agent: Agent | false
}

/** One attempt's record, and what deciding on the next one needs. */
export type AttemptOutcome =
  | { readonly record: DeliveryAttempt; readonly response: BoundedResponse; readonly error?: never }
  | {
      readonly record: DeliveryAttempt
      readonly error: DeliveryAttemptError
      /** The wait the receiver asked for with `Retry-After`, unclamped. */
      readonly retryAfterMs: number | undefined
      /** The bearer token sent, so that a 401 can retire exactly that one. */
      readonly token: string | undefined
    }

function requestFailure(error: unknown): DeliveryAttemptError {
  if (error instanceof DeliveryAttemptError) return error
  if (error instanceof BoundedRequestError && error.reason === 'timeout') {
    return new DeliveryAttemptError('ERR_TIMEOUT', error.message, { retryable: true, cause: error })
  }
  const message = error instanceof Error ? error.message : String(error)
  return new DeliveryAttemptError('ERR_NETWORK', message, { retryable: true, cause: error })
}

function statusFailure(status: number): DeliveryAttemptError {
  const redirect = status >= 300 && status < 400
  // A redirect means the receiver's registered URL is wrong; following it could also carry the
  // signed webhook to a host nobody allow-listed.
  const message = redirect
    ? `the receiver answered ${status}; redirects are not followed`
    : `the receiver answered ${status}`
  return new DeliveryAttemptError('ERR_RESPONSE_STATUS', message, {
    retryable: isRetryableStatus(status),
    status,
  })
}

function signingFailure(error: unknown): DeliveryAttemptError {
  const message = `signing failed: ${error instanceof Error ? error.message : String(error)}`
  // A TypeError is the signer refusing this request; anything else (a key store that did not
  // answer) may pass.
  return new DeliveryAttemptError('ERR_SIGNING_FAILED', message, {
    retryable: !(error instanceof TypeError),
    cause: error,
  })
}

interface AttemptClock {
  readonly attempt: number
  readonly startedAt: number
  readonly started: number
}

function recordOf(
  clock: AttemptClock,
  response: BoundedResponse | undefined,
  error: DeliveryAttemptError | undefined,
): DeliveryAttempt {
  return {
    attempt: clock.attempt,
    startedAt: clock.startedAt,
    durationMs: Math.round(performance.now() - clock.started),
    ...(response === undefined
      ? {}
      : {
          status: response.status,
          responseBody: response.body.toString('utf8'),
          responseTruncated: response.truncated,
        }),
    ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }),
  }
}

/**
 * Makes one attempt: takes a bearer token if the destination needs one, signs afresh (new `jti`
 * and `iat`, or a new Standard Webhooks timestamp, same `webhookId`), adds per-attempt
 * authentication (OAuth 1.0a), sends, and reads at most `maxResponseBytes` of the answer. Never
 * rejects: every failure becomes the outcome's `error`.
 *
 * @param attempt The attempt's number, for its record.
 * @param timeout Time allowed for the request, in ms: the sender's timeout, or less when the
 *   delivery's time budget is nearly spent.
 */
export async function performAttempt(
  config: NormalizedSenderOptions,
  target: AttemptTarget,
  attempt: number,
  timeout: number,
): Promise<AttemptOutcome> {
  const clock: AttemptClock = { attempt, startedAt: Date.now(), started: performance.now() }
  const { url, delivery, auth } = target
  let token: string | undefined
  let response: BoundedResponse

  try {
    token = await auth?.tokens?.get()
    const request: AttemptRequest = {
      method: delivery.method,
      url,
      headers: delivery.headers,
      body: delivery.bytes,
      webhookId: delivery.webhookId,
    }
    let signed: Record<string, string>
    try {
      signed =
        auth?.sign?.(request) ??
        (await config.signer.sign({
          body: delivery.bytes,
          url: url.href,
          method: delivery.method,
          webhookId: delivery.webhookId,
          ...(delivery.audience === undefined ? {} : { audience: delivery.audience }),
        }))
    } catch (cause) {
      throw signingFailure(cause)
    }
    response = await boundedRequest(url, {
      method: delivery.method,
      headers: {
        'content-type': 'application/json',
        ...delivery.headers,
        ...auth?.headers,
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...auth?.authorize?.(request),
        ...signed,
        'content-length': String(delivery.bytes.length),
      },
      body: delivery.bytes,
      timeout,
      maxResponseBytes: config.maxResponseBytes,
      overflow: 'truncate',
      lookup: config.lookupFor(url),
      ...(target.agent === false ? {} : { agent: target.agent }),
      ...(config.ca === undefined ? {} : { ca: config.ca }),
    })
  } catch (cause) {
    const error = requestFailure(cause)
    return { record: recordOf(clock, undefined, error), error, retryAfterMs: undefined, token }
  }

  if (response.status >= 200 && response.status <= 299) {
    return { record: recordOf(clock, response, undefined), response }
  }
  const error = statusFailure(response.status)
  const retryAfterMs = error.retryable
    ? parseRetryAfter(response.headers['retry-after'], Date.now())
    : undefined
  const record = recordOf(clock, response, error)
  return {
    // Kept on the record too, so that a caller that schedules its own retries can honour it.
    record: retryAfterMs === undefined ? record : { ...record, retryAfterMs },
    error,
    retryAfterMs,
    token,
  }
}
