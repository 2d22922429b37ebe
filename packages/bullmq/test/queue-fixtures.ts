import { generateKeyPairSync } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSigner, loadKeySet } from '@hookseal/core/send'
import type { Signer } from '@hookseal/core/send'

/** A request as the receiver saw it. */
export interface QueueReceived {
  readonly webhookId: string
  readonly token: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
  /** When it arrived, in ms since the epoch. */
  readonly at: number
}

/** A loopback receiver that records every request and answers from `answer`. */
export interface QueueReceiver {
  readonly url: string
  readonly requests: QueueReceived[]
  /** Status for each request; may wait before answering. @default 204 at once */
  answer: (request: QueueReceived) => number | Promise<number>
  /** Sent as `Retry-After` with every answer, when set. */
  retryAfter?: string
  /** Sent as the body of every answer, when set. */
  responseBody?: string
  /** Distinct `Webhook-Id`s received: what de-duplication leaves. */
  ids(): Set<string>
  close(): Promise<void>
}

export async function startQueueReceiver(): Promise<QueueReceiver> {
  const requests: QueueReceived[] = []
  const receiver: QueueReceiver = {
    url: '',
    requests,
    answer: () => 204,
    ids: () => new Set(requests.map((request) => request.webhookId)),
    close: () => Promise.resolve(),
  }
  const server = createServer((req, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request: QueueReceived = {
        webhookId: String(req.headers['webhook-id']),
        token: String(req.headers['x-signature']),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      }
      requests.push(request)
      void Promise.resolve(receiver.answer(request)).then(
        (status) => {
          if (res.destroyed) return
          const headers =
            receiver.retryAfter === undefined ? {} : { 'retry-after': receiver.retryAfter }
          res.writeHead(status, headers).end(receiver.responseBody)
        },
        () => res.destroy(),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hooks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
}

/** A signer over a P-256 key made now. */
export async function createQueueTestSigner(): Promise<Signer> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  const keys = await loadKeySet({ keys: [{ pem, state: 'active' }] })
  return createSigner({ issuer: 'https://sender.example', keys })
}

/** Sender options that let deliveries reach the loopback receiver over plain HTTP. */
export const LOOPBACK = {
  allowInsecureHttp: true,
  allowPrivateAddresses: ['127.0.0.1'],
} as const
