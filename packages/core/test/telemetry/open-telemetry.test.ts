import { context, trace } from '@opentelemetry/api'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createVerifier, WebhookError } from '../../src/index.js'
import { createSender, DeliveryError, signStandardWebhook } from '../../src/send/index.js'
import type { SenderOptions } from '../../src/send/index.js'
import { observeGauge, traceQueueHop } from '../../src/http/index.js'
import { createStandardWebhooksKeys } from '../../src/testing/index.js'
import { rejectionOf } from '@hookseal/test-support/rejection'
import { startTestTelemetry } from '@hookseal/test-support/telemetry'
import type { TestTelemetry } from '@hookseal/test-support/telemetry'
import { startReceiver } from '../deliver/receiver.js'
import type { Receiver } from '../deliver/receiver.js'
import { createTestSigning, ISSUER } from '../deliver/signing.js'
import type { TestSigning } from '../deliver/signing.js'

const BODY = '{"type":"invoice.paid","card":"body-marker-4242"}'
const CLIENT_SECRET = 'client-secret-marker'
const SUBSCRIPTION_KEY = 'subscription-key-marker'
const QUERY_TOKEN = 'query-token-marker'

let telemetry: TestTelemetry
let signing: TestSigning
let receiver: Receiver
let tokenEndpoint: Receiver
const senders: Array<{ close(): Promise<void> }> = []

beforeAll(async () => {
  telemetry = startTestTelemetry()
  signing = await createTestSigning()
})

afterAll(() => telemetry.shutdown())

beforeEach(async () => {
  telemetry.reset()
  receiver = await startReceiver()
  tokenEndpoint = await startReceiver()
  tokenEndpoint.setFallback((_request, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(JSON.stringify({ access_token: 'bearer-marker', token_type: 'Bearer', expires_in: 60 }))
  })
})

afterEach(async () => {
  for (const sender of senders.splice(0)) await sender.close()
  await receiver.close()
  await tokenEndpoint.close()
})

function senderFor(options: Partial<SenderOptions> = {}) {
  const sender = createSender({
    signer: signing.signer,
    onDeadLetter: () => {},
    allowInsecureHttp: true,
    allowPrivateAddresses: ['127.0.0.1'],
    backoff: 5,
    maxBackoff: 5,
    ...options,
  })
  senders.push(sender)
  return sender
}

function spansNamed(name: string) {
  return telemetry.spans().filter((span) => span.name === name)
}

describe('verify', () => {
  const keys = createStandardWebhooksKeys()
  const verifier = createVerifier({
    senders: [{ scheme: 'standard-webhooks', id: 'billing', secrets: [keys.secret] }],
  })
  const body = Buffer.from(BODY)

  it('records a verified webhook as a span with its scheme, sender and outcome', async () => {
    const headers = signStandardWebhook({ body, secrets: [keys.secret] })
    await verifier.verify({ method: 'POST', url: '/hooks', headers, body })
    const [span] = spansNamed('hookseal.verify')
    expect(span?.attributes).toEqual({
      'hookseal.scheme': 'standard-webhooks',
      'hookseal.sender': 'billing',
      'hookseal.outcome': 'verified',
    })
    const points = await telemetry.metric('hookseal.verify.duration')
    expect(points).toContainEqual({
      attributes: { 'hookseal.scheme': 'standard-webhooks', 'hookseal.outcome': 'verified' },
      value: 1,
    })
  })

  it('records a refusal with its code and status, and the span as an error', async () => {
    const headers = signStandardWebhook({ body, secrets: [createStandardWebhooksKeys().secret] })
    await rejectionOf(
      verifier.verify({ method: 'POST', url: '/hooks', headers, body }),
      WebhookError,
    )
    const [span] = spansNamed('hookseal.verify')
    expect(span?.attributes).toEqual({
      'hookseal.outcome': 'refused',
      'error.type': 'ERR_SIGNATURE_INVALID',
      'http.response.status_code': 401,
    })
    expect(span?.status).toEqual({ code: 2, message: 'ERR_SIGNATURE_INVALID' })
  })
})

describe('delivery', () => {
  it('records each attempt as a child of its delivery, with origin, number, status and outcome', async () => {
    receiver.reply({ status: 503 })
    const sender = senderFor()
    const result = await sender.send({ url: receiver.url, body: BODY, webhookId: 'evt_1' })
    expect(result.attempts).toHaveLength(2)

    const [delivery] = spansNamed('hookseal.delivery')
    const attempts = spansNamed('hookseal.delivery.attempt')
    expect(delivery?.attributes).toEqual({
      'hookseal.destination.origin': new URL(receiver.url).origin,
      'hookseal.outcome': 'delivered',
      'hookseal.webhook.id': 'evt_1',
      'hookseal.delivery.attempts': 2,
      'http.response.status_code': 200,
    })
    expect(attempts.map((span) => span.attributes)).toEqual([
      expect.objectContaining({
        'hookseal.destination.origin': new URL(receiver.url).origin,
        'hookseal.delivery.attempt': 1,
        'http.response.status_code': 503,
        'hookseal.outcome': 'failed',
        'error.type': 'ERR_RESPONSE_STATUS',
        'hookseal.retryable': true,
      }),
      expect.objectContaining({
        'hookseal.delivery.attempt': 2,
        'http.response.status_code': 200,
        'hookseal.outcome': 'delivered',
      }),
    ])
    for (const attempt of attempts) {
      expect(attempt.parentSpanContext?.spanId).toBe(delivery?.spanContext().spanId)
      expect(attempt.spanContext().traceId).toBe(delivery?.spanContext().traceId)
    }

    expect(await telemetry.metric('hookseal.delivery.attempts')).toEqual(
      expect.arrayContaining([
        {
          attributes: {
            'hookseal.outcome': 'failed',
            'http.response.status_code': 503,
            'error.type': 'ERR_RESPONSE_STATUS',
          },
          value: 1,
        },
        {
          attributes: { 'hookseal.outcome': 'delivered', 'http.response.status_code': 200 },
          value: 1,
        },
      ]),
    )
    const durations = await telemetry.metric('hookseal.delivery.attempt.duration')
    expect(durations.reduce((sum, point) => sum + point.value, 0)).toBeGreaterThanOrEqual(2)
    expect(await telemetry.metric('hookseal.delivery.outcomes')).toContainEqual({
      attributes: { 'hookseal.outcome': 'delivered' },
      value: expect.any(Number),
    })
  })

  it('records a dead-lettered delivery with its reason', async () => {
    receiver.setFallback({ status: 400 })
    const sender = senderFor()
    await rejectionOf(sender.send({ url: receiver.url, body: BODY }), DeliveryError)
    const [delivery] = spansNamed('hookseal.delivery')
    expect(delivery?.attributes).toMatchObject({
      'hookseal.outcome': 'dead-lettered',
      'hookseal.dead_letter.reason': 'permanent-failure',
      'error.type': 'ERR_RESPONSE_STATUS',
      'hookseal.delivery.attempts': 1,
    })
    expect(await telemetry.metric('hookseal.delivery.outcomes')).toContainEqual({
      attributes: {
        'hookseal.outcome': 'dead-lettered',
        'error.type': 'ERR_RESPONSE_STATUS',
        'hookseal.dead_letter.reason': 'permanent-failure',
      },
      value: 1,
    })
  })

  it('puts no secret, token, body, signature or URL query in any span or metric', async () => {
    const sender = senderFor({
      auth: {
        '127.0.0.1': {
          headers: { 'ocp-apim-subscription-key': SUBSCRIPTION_KEY },
          clientCredentials: {
            tokenUrl: tokenEndpoint.url,
            clientId: 'sender-app',
            clientSecret: CLIENT_SECRET,
          },
        },
      },
    })
    const url = `${receiver.url}?token=${QUERY_TOKEN}`
    await sender.send({ url, body: BODY })
    const [request] = receiver.requests
    const signature = String(request?.headers['x-signature'])
    expect(request?.headers.authorization).toBe('Bearer bearer-marker')

    // The receiving side too: the same request through a verifier of the sender's JWTs.
    const verifier = createVerifier({
      issuers: [
        {
          issuer: ISSUER,
          keys: async (kid) => signing.jwks.keys.find((jwk) => jwk.kid === kid),
          audience: receiver.url,
        },
      ],
    })
    await verifier.verify({
      method: 'POST',
      url,
      headers: request?.headers ?? {},
      body: request?.body ?? Buffer.alloc(0),
    })
    expect(spansNamed('hookseal.verify')[0]?.attributes['hookseal.outcome']).toBe('verified')

    const everything = await telemetry.everything()
    const secrets = [
      CLIENT_SECRET,
      SUBSCRIPTION_KEY,
      QUERY_TOKEN,
      'bearer-marker',
      'body-marker-4242',
      signature,
      ...signature.split('.'),
    ]
    for (const secret of secrets) expect(everything).not.toContain(secret)
  })
})

describe('queue hops', () => {
  it('carries the trace from the enqueuing code to the worker through the stored context', async () => {
    const tracer = trace.getTracer('test')
    const parent = tracer.startSpan('request')
    const stored = await context.with(trace.setSpan(context.active(), parent), () =>
      traceQueueHop(
        { operation: 'enqueue', system: 'test', queue: 'q', webhookId: 'evt_7', jobId: 'evt_7' },
        async (traceContext) => traceContext,
      ),
    )
    parent.end()
    expect(stored?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)

    // The worker runs in another context altogether: only the stored carrier links them.
    const inner = await context.with(trace.deleteSpan(context.active()), () =>
      traceQueueHop(
        {
          operation: 'process',
          system: 'test',
          queue: 'q',
          webhookId: 'evt_7',
          traceContext: stored,
        },
        async () => trace.getActiveSpan()?.spanContext(),
      ),
    )
    const [enqueue] = spansNamed('hookseal.queue.enqueue')
    const [processed] = spansNamed('hookseal.queue.process')
    expect(enqueue?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId)
    expect(processed?.parentSpanContext?.spanId).toBe(enqueue?.spanContext().spanId)
    expect(processed?.spanContext().traceId).toBe(parent.spanContext().traceId)
    expect(inner?.spanId).toBe(processed?.spanContext().spanId)
    expect(enqueue?.kind).toBe(3) // PRODUCER
    expect(processed?.kind).toBe(4) // CONSUMER
    expect(processed?.attributes).toMatchObject({
      'messaging.system': 'test',
      'messaging.destination.name': 'q',
      'messaging.operation.type': 'process',
      'hookseal.webhook.id': 'evt_7',
    })
  })
})

describe('gauges', () => {
  it('reads a gauge at each collection until it is stopped', async () => {
    let depth = 3
    const stop = observeGauge('test.depth', 'a test gauge', () => [
      { value: depth, attributes: { state: 'waiting' } },
    ])
    await expect
      .poll(() => telemetry.metric('test.depth'))
      .toEqual([{ attributes: { state: 'waiting' }, value: 3 }])
    depth = 5
    expect(await telemetry.metric('test.depth')).toEqual([
      { attributes: { state: 'waiting' }, value: 5 },
    ])
    stop()
    depth = 9
    // Read no more: the SDK keeps showing the last value it read.
    expect(await telemetry.metric('test.depth')).not.toContainEqual(
      expect.objectContaining({ value: 9 }),
    )
  })
})
