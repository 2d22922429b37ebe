import { generateKeyPair } from 'node:crypto'
import type { JsonWebKey } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { createSender, createSigner, loadKeySet } from '@hookseal/core/send'
import type { DeadLetter, Sender, SenderOptions, SigningKeySet } from '@hookseal/core/send'

const generate = promisify(generateKeyPair)

/** A fresh 2048-bit RSA private key as a JWK, for `loadKeySet` and `keys.add`. */
export async function newPrivateJwk(): Promise<JsonWebKey> {
  const { privateKey } = await generate('rsa', { modulusLength: 2048 })
  return privateKey.export({ format: 'jwk' })
}

/** A key set with an active key and, published beside it, the next one. */
export async function activeAndNextKeys(): Promise<SigningKeySet> {
  const [active, next] = await Promise.all([newPrivateJwk(), newPrivateJwk()])
  return loadKeySet({
    keys: [
      { jwk: active, state: 'active' },
      { jwk: next, state: 'next' },
    ],
  })
}

/** A sender and what it dead-lettered. */
export interface LoopbackSender {
  sender: Sender
  deadLetters: DeadLetter[]
}

/**
 * A sender signing with `keys` as `issuer`, allowed to deliver over plain http to 127.0.0.1 only,
 * with short retry waits so that a test that provokes a retry stays fast.
 */
export function loopbackSender(
  issuer: string,
  keys: SigningKeySet,
  options: Partial<SenderOptions> = {},
): LoopbackSender {
  const deadLetters: DeadLetter[] = []
  const sender = createSender({
    signer: createSigner({ issuer, keys }),
    onDeadLetter: (letter) => {
      deadLetters.push(letter)
    },
    allowInsecureHttp: true,
    allowPrivateAddresses: ['127.0.0.1'],
    backoff: 20,
    maxBackoff: 100,
    ...options,
  })
  return { sender, deadLetters }
}

/** One request a {@link RecordingReceiver} got. */
export interface RecordedRequest {
  method: string | undefined
  url: string | undefined
  headers: IncomingHttpHeaders
  body: string
}

/** A bare HTTP endpoint on 127.0.0.1 that records every request and answers 204. */
export interface RecordingReceiver {
  readonly url: string
  readonly requests: readonly RecordedRequest[]
  close(): Promise<void>
}

export async function startRecordingReceiver(): Promise<RecordingReceiver> {
  const requests: RecordedRequest[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      requests.push({ method: req.method, url: req.url, headers: req.headers, body })
      res.statusCode = 204
      res.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}
