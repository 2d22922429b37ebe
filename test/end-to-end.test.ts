/**
 * End to end on 127.0.0.1: sender apps built with each adapter publish their JWKS and deliver from
 * a route handler through the sender the adapter exposes; receiver apps built with each adapter
 * verify with `bodyDigest: 'required'`, fetching the keys from the sender app's own JWKS route.
 * Both sides run the latest major of each framework (Express 5, Koa 3, Fastify 5); the adapters'
 * behaviour on the older majors is covered by sender-adapters.test.ts and adapters.test.ts.
 */
import type { JsonWebKey } from 'node:crypto'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier } from '@hookseal/core'
import { createSigner, DeliveryError, loadKeySet } from '@hookseal/core/send'
import type { VerifierEvent } from '@hookseal/core'
import type { SigningKeySet } from '@hookseal/core/send'
import { expressHarnesses, expressSenderHarnesses } from './harness/express.js'
import { fastifyHarnesses, fastifySenderHarnesses } from './harness/fastify.js'
import { koaHarnesses, koaSenderHarnesses } from './harness/koa.js'
import type { Emitted, EmitRequest } from './harness/emit.js'
import type {
  AdapterHarness,
  ReceivedWebhook,
  RunningApp,
  RunningServer,
  SenderHarness,
} from './harness/types.js'
import { activeAndNextKeys, loopbackSender, newPrivateJwk } from './support/sender.js'
import type { LoopbackSender } from './support/sender.js'

const JWKS_PATH = '/.well-known/jwks.json'

function latest<T extends { name: string }>(harnesses: readonly T[], name: string): T {
  const harness = harnesses.find((candidate) => candidate.name === name)
  if (harness === undefined) throw new Error(`no harness named ${name}`)
  return harness
}

const senderSides: SenderHarness[] = [
  latest(expressSenderHarnesses, 'express 5'),
  latest(koaSenderHarnesses, 'koa 3'),
  latest(fastifySenderHarnesses, 'fastify 5'),
]
const receiverSides: AdapterHarness[] = [
  latest(expressHarnesses, 'express 5'),
  latest(koaHarnesses, 'koa 3'),
  latest(fastifyHarnesses, 'fastify 5'),
]

function slug(name: string): string {
  return name.replace(/\W+/g, '-')
}

/** A sender app of one framework, its key set, and the sender its handlers reach. */
interface Partner extends LoopbackSender {
  name: string
  issuer: string
  keys: SigningKeySet
  app: RunningServer
  jwksUri: string
}

async function startPartner(harness: SenderHarness, label = 'sender'): Promise<Partner> {
  const issuer = `https://${slug(harness.name)}.${label}.example`
  const keys = await activeAndNextKeys()
  const loopback = loopbackSender(issuer, keys)
  const app = await harness.start({ sender: loopback.sender, keys })
  return { ...loopback, name: harness.name, issuer, keys, app, jwksUri: `${app.url}${JWKS_PATH}` }
}

/** A receiver app of one framework, trusting `partners`, and what reached its handler. */
interface Receiver {
  name: string
  audience: string
  app: RunningApp
  url: string
  received: ReceivedWebhook[]
  events: VerifierEvent[]
}

async function startReceiver(harness: AdapterHarness, partners: Partner[]): Promise<Receiver> {
  const audience = `https://${slug(harness.name)}.receiver.example/webhooks`
  const received: ReceivedWebhook[] = []
  const events: VerifierEvent[] = []
  const verifier = createVerifier({
    issuers: partners.map(({ issuer, jwksUri }) => ({
      issuer,
      jwksUri,
      audience,
      bodyDigest: 'required' as const,
    })),
    allowInsecureHttp: true,
    onEvent: (event) => events.push(event),
  })
  const app = await harness.start({ verifier, onWebhook: (webhook) => received.push(webhook) })
  return { name: harness.name, audience, app, url: `${app.url}/webhooks`, received, events }
}

/** Asks a sender app's `POST /emit` route to deliver `event` to `receiver`. */
async function emit(
  partner: Partner,
  receiver: Receiver,
  event: unknown,
  webhookId: string = `evt_${randomUUID()}`,
): Promise<{ status: number; body: Emitted }> {
  const request: EmitRequest = { url: receiver.url, audience: receiver.audience, event, webhookId }
  const response = await fetch(`${partner.app.url}/emit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  })
  return { status: response.status, body: (await response.json()) as Emitted }
}

function activeKid(keys: SigningKeySet): string | undefined {
  return keys.keys().find((key) => key.state === 'active')?.kid
}

async function closeAll(servers: Array<{ app: { close(): Promise<void> } }>): Promise<void> {
  await Promise.all(servers.map(({ app }) => app.close()))
}

describe('every sender app delivers to every receiver app', () => {
  let partners: Partner[]
  let receivers: Receiver[]

  beforeAll(async () => {
    partners = await Promise.all(senderSides.map((harness) => startPartner(harness)))
    receivers = await Promise.all(receiverSides.map((harness) => startReceiver(harness, partners)))
  })

  afterAll(async () => {
    await closeAll(receivers ?? [])
    await closeAll(partners ?? [])
  })

  const pairs = senderSides.flatMap((sender, s) =>
    receiverSides.map((receiver, r) => ({ sender: sender.name, receiver: receiver.name, s, r })),
  )

  it.each(pairs)('$sender → $receiver', async ({ s, r }) => {
    const partner = partners[s]!
    const receiver = receivers[r]!
    const event = { type: 'invoice.paid', invoice: `in_${randomUUID()}`, amount: 4200 }
    const webhookId = `evt_${randomUUID()}`

    const { status, body } = await emit(partner, receiver, event, webhookId)

    expect(status).toBe(200)
    expect(body).toMatchObject({ webhookId, status: 200, attempts: 1 })
    const reached = receiver.received.filter((received) => received.webhookId === webhookId)
    expect(reached).toHaveLength(1)
    const { webhook, body: delivered } = reached[0]!
    expect(webhook.issuer).toBe(partner.issuer)
    expect(webhook.kid).toBe(activeKid(partner.keys))
    expect(webhook.bodyDigestVerified).toBe(true)
    expect(webhook.claims).toMatchObject({ aud: receiver.audience, htm: 'POST' })
    expect(delivered).toEqual(event)
    // The receiver's answer reached the sender's handler: the same verified token id.
    expect(JSON.parse(body.response)).toMatchObject({ id: webhook.id, kid: webhook.kid })
    expect(partner.deadLetters).toEqual([])
  })

  it('fetched each sender’s JWKS from its own route once per receiver', () => {
    for (const receiver of receivers) {
      const fetched = receiver.events.filter((event) => event.type === 'jwks-fetch')
      expect(fetched.map((event) => event.issuer).sort()).toEqual(
        partners.map((partner) => partner.issuer).sort(),
      )
    }
  })
})

describe.each(senderSides)('key rotation mid-stream, $name sender app', (senderSide) => {
  const EVENTS = 30
  const ROTATE_EVERY = 10
  let partner: Partner
  let receivers: Receiver[]
  let upcoming: JsonWebKey[]

  beforeAll(async () => {
    partner = await startPartner(senderSide, 'rotating')
    receivers = await Promise.all(receiverSides.map((harness) => startReceiver(harness, [partner])))
    upcoming = await Promise.all([newPrivateJwk(), newPrivateJwk()])
  })

  afterAll(async () => {
    await closeAll(receivers ?? [])
    await partner?.app.close()
  })

  it('rejects not one of 30 deliveries to each receiver while the key rotates every 10', async () => {
    const signedWith: string[] = []
    for (let n = 0; n < EVENTS; n++) {
      if (n > 0 && n % ROTATE_EVERY === 0) {
        // The key published as next starts signing; the one after it is published at once, but
        // receivers' cached sets (max-age 300) will not show it before it signs in turn.
        partner.keys.rotate()
        await partner.keys.add({ jwk: upcoming.shift()! })
      }
      signedWith.push(activeKid(partner.keys)!)
      const event = { type: 'stream.tick', n }
      const results = await Promise.all(receivers.map((receiver) => emit(partner, receiver, event)))
      for (const { status, body } of results) {
        expect(status).toBe(200)
        expect(body.attempts).toBe(1)
      }
    }

    expect(partner.deadLetters).toEqual([])
    const [first, second, third] = [signedWith[0], signedWith[10], signedWith[20]]
    expect(new Set([first, second, third]).size).toBe(3)
    for (const receiver of receivers) {
      expect(receiver.received.map(({ webhook }) => webhook.kid)).toEqual(signedWith)
      expect(receiver.received.map(({ body }) => (body as { n: number }).n)).toEqual(
        Array.from({ length: EVENTS }, (_, n) => n),
      )
      // The second key was in the set cached at the first delivery; the third was not, and the
      // unknown-kid refetch found it. No cooldown refused anything.
      const kinds = receiver.events.map((event) => event.type)
      expect(kinds.filter((kind) => kind === 'jwks-fetch')).toHaveLength(2)
      expect(kinds).not.toContain('jwks-cooldown')
      const unknown = receiver.events.flatMap((event) =>
        event.type === 'jwks-unknown-kid' ? [event.kid] : [],
      )
      expect(unknown).toEqual([third])
    }
  })
})

describe.each(receiverSides)('a $name receiver refuses', (receiverSide) => {
  let partner: Partner
  let receiver: Receiver
  let strangerJwk: JsonWebKey

  beforeAll(async () => {
    partner = await startPartner(latest(senderSides, 'express 5'), `for-${slug(receiverSide.name)}`)
    receiver = await startReceiver(receiverSide, [partner])
    strangerJwk = await newPrivateJwk()
    // One genuine delivery first, so that the receiver holds the partner's keys.
    expect((await emit(partner, receiver, { type: 'warm-up' })).status).toBe(200)
  })

  afterAll(async () => {
    await receiver?.app.close()
    await partner?.app.close()
  })

  function handled(): number {
    return receiver.received.length
  }

  /** Delivers through a sender whose key the partner never published, under `kid`. */
  async function forge(kid: string | undefined): Promise<DeliveryError> {
    const keys = await loadKeySet({ keys: [{ jwk: strangerJwk, kid }] })
    const forger = loopbackSender(partner.issuer, keys)
    const body = JSON.stringify({ type: 'payout.requested', amount: 1_000_000 })
    const attempt = forger.sender.send({ url: receiver.url, audience: receiver.audience, body })
    const error = await attempt.then(
      () => undefined,
      (rejection: unknown) => rejection,
    )
    expect(error).toBeInstanceOf(DeliveryError)
    expect(forger.deadLetters).toHaveLength(1)
    return error as DeliveryError
  }

  function problemCode(error: DeliveryError): unknown {
    const last = error.attempts.at(-1)
    expect(last?.status).toBe(401)
    return (JSON.parse(last?.responseBody ?? '{}') as { code?: unknown }).code
  }

  /** Posts bytes with headers the partner's own signer made, as a man in the middle would. */
  async function post(headers: Record<string, string>, body: string) {
    const response = await fetch(receiver.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    })
    const text = await response.text()
    return { status: response.status, code: (JSON.parse(text) as { code?: unknown }).code }
  }

  function signFor(body: string) {
    const signer = createSigner({ issuer: partner.issuer, keys: partner.keys })
    return signer.sign({ body, url: receiver.url, audience: receiver.audience })
  }

  it('a forged delivery under the partner’s published kid (401 ERR_SIGNATURE_INVALID)', async () => {
    const before = handled()
    const error = await forge(activeKid(partner.keys))
    expect(error.deadLetter?.reason).toBe('permanent-failure')
    expect(problemCode(error)).toBe('ERR_SIGNATURE_INVALID')
    expect(handled()).toBe(before)
  })

  it('a forged delivery under a kid of its own (401 ERR_KEY_NOT_FOUND)', async () => {
    const before = handled()
    const error = await forge(undefined)
    expect(problemCode(error)).toBe('ERR_KEY_NOT_FOUND')
    expect(handled()).toBe(before)
  })

  it('a genuine signature over a tampered body (401 ERR_BODY_DIGEST_MISMATCH)', async () => {
    const before = handled()
    const body = JSON.stringify({ type: 'refund.issued', amount: 100 })
    const headers = await signFor(body)
    const tampered = body.replace('100', '100000')
    expect(await post(headers, tampered)).toEqual({ status: 401, code: 'ERR_BODY_DIGEST_MISMATCH' })
    expect(handled()).toBe(before)
  })

  it('a replayed delivery (401 ERR_REPLAY), after the original was accepted once', async () => {
    const before = handled()
    const body = JSON.stringify({ type: 'refund.issued', amount: 100 })
    const headers = await signFor(body)
    const original = await fetch(receiver.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    })
    expect(original.status).toBe(200)
    expect(await post(headers, body)).toEqual({ status: 401, code: 'ERR_REPLAY' })
    expect(handled()).toBe(before + 1)
    expect(receiver.received.at(-1)?.webhookId).toBe(headers['webhook-id'])
  })
})
