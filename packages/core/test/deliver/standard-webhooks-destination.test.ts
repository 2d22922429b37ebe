import { generateKeyPairSync } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createVerifier } from '../../src/index.js'
import { createSender, DeliveryError } from '../../src/send/index.js'
import type {
  DeadLetter,
  DeliveryEvent,
  StandardWebhooksSignerOptions,
} from '../../src/send/index.js'
import { createStandardWebhooksKeys } from '../../src/testing/index.js'
import type { StandardWebhooksKeys } from '../../src/testing/index.js'
import { startReceiver } from './receiver.js'
import type { ReceivedRequest, Receiver } from './receiver.js'
import { createTestSigning } from './signing.js'
import type { TestSigning } from './signing.js'

const BODY = '{"type":"invoice.paid","amount":1200}'

let signing: TestSigning
let keys: StandardWebhooksKeys
let receiver: Receiver
let events: DeliveryEvent[]
let letters: DeadLetter[]

beforeAll(async () => {
  signing = await createTestSigning()
  keys = createStandardWebhooksKeys()
})

beforeEach(async () => {
  receiver = await startReceiver()
  events = []
  letters = []
})

afterEach(async () => {
  vi.restoreAllMocks()
  await receiver.close()
})

function senderWith(standardWebhooks: StandardWebhooksSignerOptions) {
  return createSender({
    signer: signing.signer,
    onDeadLetter: (letter) => void letters.push(letter),
    onEvent: (event) => events.push(event),
    allowInsecureHttp: true,
    allowPrivateAddresses: ['127.0.0.1'],
    backoff: 5,
    maxBackoff: 5,
    auth: { '127.0.0.1': { signer: { standardWebhooks } } },
  })
}

function headersOf(request: ReceivedRequest | undefined): Record<string, string> {
  return (request?.headers ?? {}) as Record<string, string>
}

/** hookseal's own verifier, over what the receiver got. */
function verifyInbound(
  request: ReceivedRequest,
  options: { secrets?: string[]; publicKeys?: string[] },
) {
  const verifier = createVerifier({
    senders: [{ scheme: 'standard-webhooks', id: 'billing', ...options }],
  })
  return verifier.verify({
    method: request.method,
    url: request.url,
    headers: headersOf(request),
    body: request.body,
  })
}

describe('Standard Webhooks signer per destination', () => {
  it('signs v1 with a whsec_ secret, verified by the official package and by hookseal', async () => {
    const sender = senderWith({ secret: keys.secret })
    const result = await sender.send({ url: receiver.url, body: BODY, webhookId: 'msg_42' })
    const [request] = receiver.requests
    const headers = headersOf(request)
    expect(headers['x-signature']).toBeUndefined()
    expect(headers['webhook-id']).toBe('msg_42')
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)
    expect(result.webhookId).toBe('msg_42')
    // The official library throws on anything that does not verify.
    expect(new Webhook(keys.secret).verify(request!.body.toString('utf8'), headers)).toEqual(
      JSON.parse(BODY),
    )
    const webhook = await verifyInbound(request!, { secrets: [keys.secret] })
    expect(webhook).toMatchObject({ scheme: 'standard-webhooks', id: 'msg_42', alg: 'HS256' })
  })

  it('signs v1a with an Ed25519 private key, verified by hookseal', async () => {
    const sender = senderWith({ privateKey: keys.privateKey })
    await sender.send({ url: receiver.url, body: BODY })
    const [request] = receiver.requests
    expect(headersOf(request)['webhook-signature']).toMatch(/^v1a,/)
    const webhook = await verifyInbound(request!, { publicKeys: [keys.publicKey] })
    expect(webhook).toMatchObject({ scheme: 'standard-webhooks', alg: 'EdDSA' })
  })

  it('signs v1 and v1a together from a secret and a PEM key', async () => {
    const pem = keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    const sender = senderWith({ secret: keys.secret, privateKey: pem })
    await sender.send({ url: receiver.url, body: BODY })
    const [request] = receiver.requests
    const signatures = headersOf(request)['webhook-signature']?.split(' ') ?? []
    expect(signatures.map((signature) => signature.split(',')[0])).toEqual(['v1', 'v1a'])
    new Webhook(keys.secret).verify(request!.body.toString('utf8'), headersOf(request))
    await verifyInbound(request!, { publicKeys: [keys.publicKey] })
  })

  it('keeps webhook-id across retries, with a fresh timestamp and signature each attempt', async () => {
    receiver.reply({ status: 503 }, { status: 503 })
    const sender = senderWith({ secret: keys.secret })
    // Each reading of the clock is two seconds later, so that every attempt has its own second.
    let now = 1_800_000_000_000
    vi.spyOn(Date, 'now').mockImplementation(() => (now += 2000))
    await sender.send({ url: receiver.url, body: BODY })
    vi.restoreAllMocks()
    const headers = receiver.requests.map(headersOf)
    expect(headers).toHaveLength(3)
    expect(new Set(headers.map((h) => h['webhook-id'])).size).toBe(1)
    expect(new Set(headers.map((h) => h['webhook-timestamp'])).size).toBe(3)
    expect(new Set(headers.map((h) => h['webhook-signature'])).size).toBe(3)
  })

  it('keeps the secret out of errors, events and dead letters', async () => {
    receiver.setFallback({ status: 400 })
    const sender = senderWith({ secret: keys.secret })
    const error = await sender.send({ url: receiver.url, body: BODY }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(DeliveryError)
    expect(letters).toHaveLength(1)
    const emitted = JSON.stringify([letters, events, (error as Error).message])
    expect(emitted).not.toContain(keys.secret)
    expect(emitted).not.toContain(keys.secret.slice('whsec_'.length))
  })

  it.each<[string, unknown]>([
    ['no secret and no key', {}],
    ['a secret that is not base64', { secret: 'whsec_not base64!' }],
    ['a key that is not Ed25519', { privateKey: generateKeyPairSync('x25519').privateKey }],
  ])('refuses %s at construction', (_name, options) => {
    expect(() => senderWith(options as StandardWebhooksSignerOptions)).toThrow(TypeError)
  })
})
