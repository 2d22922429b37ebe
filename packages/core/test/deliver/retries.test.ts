import { decodeJwt } from 'jose'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createVerifier } from '../../src/index.js'
import { createSender, DeliveryAttemptError, DeliveryError } from '../../src/send/index.js'
import type { DeadLetter, DeliveryEvent, SenderOptions } from '../../src/send/index.js'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { rejectionOf } from '@hookseal/test-support/rejection'
import { startReceiver } from './receiver.js'
import type { Receiver } from './receiver.js'
import { createTestSigning, ISSUER } from './signing.js'
import type { TestSigning } from './signing.js'

const BODY = '{"type":"invoice.paid","invoice":"in_1042"}'

let signing: TestSigning
let jwksServer: JwksServer
let receiver: Receiver
let events: DeliveryEvent[]
let letters: DeadLetter[]
/** Under the fake clock, whether each wait between attempts is run out as soon as it starts. */
let runOutWaits = false
let retried: (() => void) | undefined

beforeAll(async () => {
  signing = await createTestSigning()
  jwksServer = await startJwksServer(signing.jwks)
})

afterAll(() => jwksServer.close())

beforeEach(async () => {
  receiver = await startReceiver()
  events = []
  letters = []
})

afterEach(async () => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  runOutWaits = false
  await receiver.close()
})

/**
 * Fakes the clocks the sender reads and waits on (`setTimeout`, `Date`, `performance`), so waits
 * are proved by the fake time that passes instead of by real seconds. Sockets keep working: Node's
 * networking runs on its own timers. With `runOut`, each wait between attempts is run out at once.
 */
function useFakeClock({ runOut = false } = {}): void {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'],
    now: Date.parse('2026-03-02T09:00:00Z'),
  })
  runOutWaits = runOut
}

/** Resolves once the sender reports its next retry, when the wait before it has just begun. */
function nextRetry(): Promise<void> {
  return new Promise((resolve) => {
    retried = resolve
  })
}

function senderFor(options: Partial<SenderOptions> = {}) {
  return createSender({
    signer: signing.signer,
    onDeadLetter: (letter) => {
      letters.push(letter)
    },
    onEvent: (event) => {
      events.push(event)
      // The sender starts its wait right after reporting the retry: run it out from the next tick.
      if (event.type === 'delivery-retry') retried?.()
      if (runOutWaits && event.type === 'delivery-retry') {
        queueMicrotask(() => vi.advanceTimersByTime(event.delayMs))
      }
    },
    allowInsecureHttp: true,
    allowPrivateAddresses: ['127.0.0.1'],
    backoff: 5,
    maxBackoff: 20,
    ...options,
  })
}

function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  return rejectionOf(promise, DeliveryError)
}

function eventTypes(): string[] {
  return events.map((event) => event.type)
}

function retryDelays(): number[] {
  return events.flatMap((event) => (event.type === 'delivery-retry' ? [event.delayMs] : []))
}

describe('a receiver that answers 503 and then 200', () => {
  it('is delivered on the second attempt with a fresh token and the same Webhook-Id', async () => {
    receiver.reply({ status: 503 }, { status: 200, body: 'ok' })
    const result = await senderFor().send({ url: `${receiver.url}?tenant=7`, body: BODY })

    expect(result).toMatchObject({ status: 200, responseBody: 'ok', responseTruncated: false })
    expect(result.attempts.map((attempt) => attempt.status)).toEqual([503, 200])
    const [first, second] = receiver.requests
    expect(receiver.requests).toHaveLength(2)
    expect(first?.headers['webhook-id']).toBe(result.webhookId)
    expect(second?.headers['webhook-id']).toBe(result.webhookId)
    const firstClaims = decodeJwt(String(first?.headers['x-signature']))
    const secondClaims = decodeJwt(String(second?.headers['x-signature']))
    expect(secondClaims.jti).toEqual(expect.any(String))
    expect(secondClaims.jti).not.toBe(firstClaims.jti)

    const verifier = createVerifier({
      issuers: [{ issuer: ISSUER, jwksUri: jwksServer.url, audience: receiver.url }],
      allowInsecureHttp: true,
    })
    const webhook = await verifier.verify({
      method: second?.method ?? '',
      url: second?.url ?? '',
      headers: second?.headers ?? {},
      body: second?.body ?? Buffer.alloc(0),
    })
    expect(webhook).toMatchObject({ issuer: ISSUER, bodyDigestVerified: true })
    expect(webhook.claims).toMatchObject({ aud: receiver.url, htm: 'POST', htu: receiver.url })
  })

  it('sends the exact body with content-type application/json and a content-length', async () => {
    await senderFor().send({ url: receiver.url, body: BODY, method: 'PUT' })
    const [request] = receiver.requests
    expect(request?.method).toBe('PUT')
    expect(request?.body.toString('utf8')).toBe(BODY)
    expect(request?.headers['content-type']).toBe('application/json')
    expect(request?.headers['content-length']).toBe(String(Buffer.byteLength(BODY)))
  })

  it('lets the caller set another content-type, in any letter case', async () => {
    await senderFor().send({
      url: receiver.url,
      body: 'a=1',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Tenant': '7' },
    })
    const [request] = receiver.requests
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(request?.headers['x-tenant']).toBe('7')
  })

  it('signs and sends the bytes as they were when send was called', async () => {
    receiver.reply({ status: 503 }, { status: 200 })
    const bytes = Buffer.from(BODY)
    const sending = senderFor().send({ url: receiver.url, body: bytes })
    bytes.fill(0x20)
    await sending
    expect(receiver.requests.map((request) => request.body.toString('utf8'))).toEqual([BODY, BODY])
  })

  it('reports attempt, retry, attempt and success, in that order', async () => {
    receiver.reply({ status: 503 }, { status: 204 })
    const { webhookId } = await senderFor().send({ url: receiver.url, body: BODY })
    expect(eventTypes()).toEqual([
      'delivery-attempt',
      'delivery-retry',
      'delivery-attempt',
      'delivery-success',
    ])
    expect(events[1]).toMatchObject({ type: 'delivery-retry', attempt: 2, webhookId })
    expect(events[3]).toMatchObject({ status: 204, attempts: 2, url: receiver.url })
  })

  it('keeps a webhookId given by the caller', async () => {
    const result = await senderFor().send({ url: receiver.url, body: BODY, webhookId: 'evt_1042' })
    expect(result.webhookId).toBe('evt_1042')
    expect(receiver.requests[0]?.headers['webhook-id']).toBe('evt_1042')
  })
})

describe('waits between attempts', () => {
  it('stay under the full-jitter ceiling, which doubles up to maxBackoff', async () => {
    receiver.setFallback({ status: 500 })
    await failure(
      senderFor({ backoff: 4, maxBackoff: 10, maxAttempts: 6 }).send({
        url: receiver.url,
        body: BODY,
      }),
    )
    const ceilings = [4, 8, 10, 10, 10]
    const delays = retryDelays()
    expect(delays).toHaveLength(5)
    delays.forEach((delay, retry) => {
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThan(ceilings[retry] ?? 0)
    })
  })

  /** Sends once the receiver's first answer is queued, and checks the wait before the second. */
  async function expectWaitOf(ms: number): Promise<void> {
    const retry = nextRetry()
    const sending = senderFor().send({ url: receiver.url, body: BODY })
    await retry
    await vi.advanceTimersByTimeAsync(ms - 1)
    // One millisecond short, the wait is still pending and the second attempt has not started.
    expect(vi.getTimerCount()).toBe(1)
    expect(eventTypes()).toEqual(['delivery-attempt', 'delivery-retry'])
    await vi.advanceTimersByTimeAsync(1)
    await sending
    expect(retryDelays()).toEqual([ms])
    const [first, second] = receiver.requests
    expect(receiver.requests).toHaveLength(2)
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBe(ms)
  }

  it('honour Retry-After in seconds', async () => {
    useFakeClock()
    receiver.reply({ status: 429, headers: { 'retry-after': '1' } }, { status: 200 })
    await expectWaitOf(1000)
  })

  it('honour Retry-After as an HTTP date', async () => {
    useFakeClock()
    const at = new Date(Date.now() + 2000).toUTCString()
    receiver.reply({ status: 503, headers: { 'retry-after': at } }, { status: 200 })
    await expectWaitOf(2000)
  })

  it('clamp Retry-After to maxRetryAfter, in seconds or as a date', async () => {
    const inAnHour = new Date(Date.now() + 3_600_000).toUTCString()
    receiver.reply(
      { status: 503, headers: { 'retry-after': '3600' } },
      { status: 503, headers: { 'retry-after': inAnHour } },
      { status: 200 },
    )
    await senderFor({ maxRetryAfter: 30 }).send({ url: receiver.url, body: BODY })
    expect(retryDelays()).toEqual([30, 30])
  })

  it('treat a Retry-After date in the past as no wait', async () => {
    receiver.reply(
      { status: 503, headers: { 'retry-after': 'Sun, 06 Nov 1994 08:49:37 GMT' } },
      { status: 200 },
    )
    await senderFor().send({ url: receiver.url, body: BODY })
    expect(retryDelays()).toEqual([0])
  })

  it('fall back to the backoff for an unreadable Retry-After', async () => {
    receiver.reply({ status: 503, headers: { 'retry-after': 'soon' } }, { status: 200 })
    await senderFor({ backoff: 5, maxBackoff: 5 }).send({ url: receiver.url, body: BODY })
    expect(retryDelays()[0]).toBeLessThan(5)
  })

  it('end the delivery when a Retry-After would outlast maxElapsed', async () => {
    // A sender that began the two-minute wait would run it out and be answered 200 after it.
    useFakeClock({ runOut: true })
    receiver.reply({ status: 503, headers: { 'retry-after': '120' } })
    const error = await failure(
      senderFor({ maxElapsed: 10_000 }).send({ url: receiver.url, body: BODY }),
    )
    expect(error.deadLetter?.reason).toBe('time-exhausted')
    expect(eventTypes()).toEqual(['delivery-attempt', 'delivery-dead-letter'])
    expect(vi.getTimerCount()).toBe(0)
    expect(receiver.requests).toHaveLength(1)
  })
})

describe('retries end', () => {
  it('after maxAttempts, with every attempt recorded', async () => {
    receiver.setFallback({ status: 502, body: 'bad gateway' })
    const error = await failure(
      senderFor({ maxAttempts: 4 }).send({ url: receiver.url, body: BODY }),
    )
    expect(error.code).toBe('ERR_DELIVERY_FAILED')
    expect(error.deadLetter?.reason).toBe('attempts-exhausted')
    expect(error.attempts.map((attempt) => [attempt.attempt, attempt.status])).toEqual([
      [1, 502],
      [2, 502],
      [3, 502],
      [4, 502],
    ])
    expect(error.attempts[3]).toMatchObject({
      responseBody: 'bad gateway',
      error: { code: 'ERR_RESPONSE_STATUS', message: 'the receiver answered 502' },
    })
    expect(receiver.requests).toHaveLength(4)
  })

  it('when maxElapsed is spent, even with attempts left', async () => {
    useFakeClock({ runOut: true })
    // Every wait is half the ceiling, 10 ms; attempts take no fake time.
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    receiver.setFallback({ status: 503 })
    const error = await failure(
      senderFor({ maxAttempts: 1000, backoff: 20, maxBackoff: 20, maxElapsed: 200 }).send({
        url: receiver.url,
        body: BODY,
      }),
    )
    expect(error.deadLetter?.reason).toBe('time-exhausted')
    // 19 waits of 10 ms fit in 200 ms; the 20th would end on the budget, so it is not begun.
    expect(retryDelays()).toEqual(Array.from({ length: 19 }, () => 10))
    expect(error.attempts).toHaveLength(20)
    expect(receiver.requests).toHaveLength(20)
  })
})

describe('a receiver that never answers', () => {
  it('is cut off by the per-attempt timeout, retried, and dead-lettered', async () => {
    useFakeClock({ runOut: true })
    // The receiver never answers; once it has the whole request, the attempt's 100 ms run out.
    receiver.setFallback(() => vi.advanceTimersByTime(100))
    const error = await failure(
      senderFor({ timeout: 100, maxAttempts: 3 }).send({ url: receiver.url, body: BODY }),
    )
    expect(receiver.requests).toHaveLength(3)
    expect(letters).toHaveLength(1)
    expect(letters[0]?.reason).toBe('attempts-exhausted')
    expect(letters[0]?.attempts).toHaveLength(3)
    for (const attempt of letters[0]?.attempts ?? []) {
      expect(attempt.error).toEqual({
        code: 'ERR_TIMEOUT',
        message: 'no complete response within 100 ms',
      })
      expect(attempt.status).toBeUndefined()
      expect(attempt.durationMs).toBe(100)
    }
    expect(error.cause).toBeInstanceOf(DeliveryAttemptError)
  })

  it('is cut off while it trickles the body too', async () => {
    receiver.setFallback((_request, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('still working')
    })
    const error = await failure(
      senderFor({ timeout: 100, maxAttempts: 1 }).send({ url: receiver.url, body: BODY }),
    )
    expect(error.attempts[0]?.error?.code).toBe('ERR_TIMEOUT')
  })
})

describe('a receiver that is down', () => {
  it('is retried, then dead-lettered with the whole delivery and every attempt', async () => {
    await receiver.close()
    const before = Date.now()
    const error = await failure(
      senderFor({ maxAttempts: 3 }).send({
        url: receiver.url,
        body: BODY,
        headers: { 'x-tenant': '7' },
        webhookId: 'evt_1042',
        audience: 'https://receiver.example',
      }),
    )

    expect(letters).toHaveLength(1)
    const [letter] = letters
    expect(error.deadLetter).toBe(letter)
    expect(error).toMatchObject({ code: 'ERR_DELIVERY_FAILED', webhookId: 'evt_1042' })
    expect(error.message).toContain('evt_1042')
    expect(letter?.delivery).toEqual({
      url: receiver.url,
      method: 'POST',
      body: BODY,
      headers: { 'x-tenant': '7' },
      webhookId: 'evt_1042',
      audience: 'https://receiver.example',
    })
    expect(letter?.reason).toBe('attempts-exhausted')
    expect(letter?.attempts.map((attempt) => attempt.attempt)).toEqual([1, 2, 3])
    for (const attempt of letter?.attempts ?? []) {
      expect(attempt.startedAt).toBeGreaterThanOrEqual(before)
      expect(attempt.durationMs).toBeGreaterThanOrEqual(0)
      expect(attempt.error?.code).toBe('ERR_NETWORK')
      expect(attempt.error?.message).toContain('ECONNREFUSED')
    }
    expect(letter?.error).toBeInstanceOf(DeliveryAttemptError)
    expect(letter?.error.code).toBe('ERR_NETWORK')
    expect(letter?.error.cause).toMatchObject({ code: 'ECONNREFUSED' })
    // A letter is plain data but for its error: it can be stored as JSON.
    expect(JSON.parse(JSON.stringify(letter?.attempts))).toEqual(letter?.attempts)
  })

  it('reports the dead letter before handing it over, and the letter can be sent again', async () => {
    const port = receiver.port
    await receiver.close()
    const order: string[] = []
    const sender = senderFor({
      maxAttempts: 1,
      onEvent: (event) => order.push(event.type),
      onDeadLetter: () => {
        order.push('onDeadLetter')
      },
    })
    const error = await failure(sender.send({ url: receiver.url, body: BODY }))
    expect(order).toEqual(['delivery-attempt', 'delivery-dead-letter', 'onDeadLetter'])

    const revived = await startReceiver({ port })
    try {
      const delivery = error.deadLetter?.delivery
      if (delivery === undefined) throw new Error('no dead letter')
      const result = await sender.send(delivery)
      expect(result.webhookId).toBe(error.webhookId)
      expect(revived.requests[0]?.body.toString('utf8')).toBe(BODY)
    } finally {
      await revived.close()
    }
  })

  it('still rejects with the letter when onDeadLetter fails', async () => {
    await receiver.close()
    const sinkFailure = new Error('queue unavailable')
    const error = await failure(
      senderFor({
        maxAttempts: 1,
        onDeadLetter: () => Promise.reject(sinkFailure),
      }).send({ url: receiver.url, body: BODY }),
    )
    expect(error.deadLetterError).toBe(sinkFailure)
    expect(error.deadLetter?.delivery.body).toBe(BODY)
  })
})

describe('permanent failures', () => {
  it.each([400, 401, 403, 404, 410, 413, 422])(
    'a %d is dead-lettered at once, without a retry',
    async (status) => {
      receiver.setFallback({ status, body: 'no such tenant' })
      const error = await failure(senderFor().send({ url: receiver.url, body: BODY }))
      expect(receiver.requests).toHaveLength(1)
      expect(error.deadLetter?.reason).toBe('permanent-failure')
      expect(error.attempts).toEqual([
        expect.objectContaining({ status, responseBody: 'no such tenant' }),
      ])
      expect(eventTypes()).toEqual(['delivery-attempt', 'delivery-dead-letter'])
    },
  )

  it.each([408, 425, 429, 500, 503, 504])('a %d is retried', async (status) => {
    receiver.reply({ status }, { status: 200 })
    const result = await senderFor().send({ url: receiver.url, body: BODY })
    expect(result.attempts.map((attempt) => attempt.status)).toEqual([status, 200])
  })

  it.each([301, 302, 303, 307, 308])(
    'a %d is not followed, not retried, and dead-lettered',
    async (status) => {
      const target = await startReceiver()
      try {
        receiver.setFallback({ status, headers: { location: target.url } })
        const error = await failure(senderFor().send({ url: receiver.url, body: BODY }))
        expect(target.requests).toHaveLength(0)
        expect(target.connections).toBe(0)
        expect(receiver.requests).toHaveLength(1)
        expect(error.deadLetter?.reason).toBe('permanent-failure')
        expect(error.attempts[0]?.error).toEqual({
          code: 'ERR_RESPONSE_STATUS',
          message: `the receiver answered ${status}; redirects are not followed`,
        })
      } finally {
        await target.close()
      }
    },
  )
})
