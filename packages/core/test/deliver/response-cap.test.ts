import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { streamResponse } from '@hookseal/test-support/endless-response'
import type { StreamedResponse } from '@hookseal/test-support/endless-response'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { createSender } from '../../src/send/index.js'
import type { SenderOptions } from '../../src/send/index.js'
import { startReceiver } from './receiver.js'
import type { Receiver } from './receiver.js'
import { createTestSigning } from './signing.js'
import type { TestSigning } from './signing.js'

const MiB = 1024 * 1024

let signing: TestSigning
let receiver: Receiver

beforeAll(async () => {
  signing = await createTestSigning()
})

beforeEach(async () => {
  receiver = await startReceiver()
})

afterEach(() => receiver.close())

function senderFor(options: Partial<SenderOptions> = {}) {
  return createSender({
    signer: signing.signer,
    onDeadLetter: () => {},
    allowInsecureHttp: true,
    allowPrivateAddresses: ['127.0.0.1'],
    ...options,
  })
}

describe('the response body cap', () => {
  it('succeeds on a 200 streaming 10 MiB without reading it all', async () => {
    let stream: StreamedResponse | undefined
    receiver.setFallback((_request, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(10 * MiB) })
      stream = streamResponse(res, { chunk: Buffer.alloc(64 * 1024, 'x'), total: 10 * MiB })
    })

    const result = await senderFor().send({ url: receiver.url, body: '{}' })
    expect(result.status).toBe(200)
    expect(result.responseTruncated).toBe(true)
    expect(result.responseBody).toHaveLength(64 * 1024)
    expect(result.attempts[0]).toMatchObject({ status: 200, responseTruncated: true })
    await waitUntil(() => stream?.closedEarly === true, 'the receiver to see the sender hang up')
    expect(stream?.finished).toBe(false)
    expect(stream?.written).toBeLessThan(4 * MiB)
  })

  it('keeps the start of an error body up to a smaller cap', async () => {
    receiver.setFallback({ status: 400, body: 'field "amount" is required; see the docs' })
    const error = await senderFor({ maxResponseBytes: 16 })
      .send({ url: receiver.url, body: '{}' })
      .catch((err: unknown) => err as { attempts: unknown[] })
    expect(error.attempts[0]).toMatchObject({
      status: 400,
      responseBody: 'field "amount" i',
      responseTruncated: true,
    })
  })

  it('reads a body within the cap whole', async () => {
    receiver.setFallback({ status: 202, body: 'queued' })
    const result = await senderFor({ maxResponseBytes: 6 }).send({ url: receiver.url, body: '{}' })
    expect(result).toMatchObject({ status: 202, responseBody: 'queued', responseTruncated: false })
  })
})
