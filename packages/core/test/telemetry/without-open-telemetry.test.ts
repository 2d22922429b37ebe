import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createVerifier } from '../../src/index.js'
import { createSender, signStandardWebhook } from '../../src/send/index.js'
import { observeGauge, traceQueueHop } from '../../src/http/index.js'
import { createStandardWebhooksKeys } from '../../src/testing/index.js'
import { startReceiver } from '../deliver/receiver.js'
import type { Receiver } from '../deliver/receiver.js'
import { createTestSigning } from '../deliver/signing.js'

// As in an application that does not install the optional peer: importing it fails.
vi.mock('@opentelemetry/api', () => {
  throw Object.assign(new Error("Cannot find package '@opentelemetry/api'"), {
    code: 'ERR_MODULE_NOT_FOUND',
  })
})

let receiver: Receiver

beforeAll(async () => {
  receiver = await startReceiver()
})

afterAll(() => receiver.close())

describe('without @opentelemetry/api', () => {
  it('verifies and refuses as usual', async () => {
    const keys = createStandardWebhooksKeys()
    const verifier = createVerifier({
      senders: [{ scheme: 'standard-webhooks', id: 'billing', secrets: [keys.secret] }],
    })
    const body = Buffer.from('{}')
    const headers = signStandardWebhook({ body, secrets: [keys.secret] })
    await expect(
      verifier.verify({ method: 'POST', url: '/', headers, body }),
    ).resolves.toMatchObject({ sender: 'billing' })
    await expect(
      verifier.verify({ method: 'POST', url: '/', headers: {}, body }),
    ).rejects.toMatchObject({ code: 'ERR_SIGNATURE_MISSING' })
  })

  it('delivers as usual', async () => {
    const sender = createSender({
      signer: (await createTestSigning()).signer,
      onDeadLetter: () => {},
      allowInsecureHttp: true,
      allowPrivateAddresses: ['127.0.0.1'],
    })
    await expect(sender.send({ url: receiver.url, body: '{}' })).resolves.toMatchObject({
      status: 200,
    })
    await sender.close()
  })

  it('runs queue hops without a trace context, and gauges as no-ops', async () => {
    const hop = { operation: 'enqueue', system: 'test', queue: 'q', webhookId: 'evt_1' } as const
    await expect(traceQueueHop(hop, async (traceContext) => traceContext)).resolves.toBeUndefined()
    const stop = observeGauge('test.depth', 'a test gauge', () => [{ value: 1 }])
    expect(stop).not.toThrow()
  })
})
