import { setTimeout } from 'node:timers/promises'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createSender, DeliveryError } from '../../src/send/index.js'
import type { ResolveHost, Sender, SenderOptions } from '../../src/send/index.js'
import { createTestCa } from '@hookseal/test-support/test-ca'
import type { TestCa } from '@hookseal/test-support/test-ca'
import { rejectionOf } from '@hookseal/test-support/rejection'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { startReceiver } from './receiver.js'
import type { Receiver } from './receiver.js'
import { createTestSigning } from './signing.js'
import type { TestSigning } from './signing.js'

const BODY = '{"type":"invoice.paid"}'

let signing: TestSigning
let ca: TestCa
const cleanups: Array<() => Promise<unknown>> = []

beforeAll(async () => {
  signing = await createTestSigning()
  ca = await createTestCa()
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function receiverFor(options: Parameters<typeof startReceiver>[0] = {}): Promise<Receiver> {
  const receiver = await startReceiver(options)
  cleanups.push(() => receiver.close())
  return receiver
}

/** Resolves names through a table that the test may change, counting lookups. */
function switchableResolver(table: Record<string, string>) {
  const calls: string[] = []
  const resolve: ResolveHost = async (hostname) => {
    calls.push(hostname)
    const address = table[hostname]
    if (address === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' })
    return [{ address }]
  }
  return { resolve, calls, table }
}

function senderFor(options: Partial<SenderOptions>): Sender {
  const sender = createSender({
    signer: signing.signer,
    onDeadLetter: () => {},
    allowPrivateAddresses: ['127.0.0.1'],
    backoff: 5,
    maxBackoff: 5,
    ...options,
  })
  cleanups.push(() => sender.close())
  return sender
}

/** A loopback receiver reached by name (resolved by the test) over plain http, and its sender. */
async function namedLoopback(options: Partial<SenderOptions> = {}) {
  const receiver = await receiverFor()
  const dns = switchableResolver({ localhost: '127.0.0.1' })
  const sender = senderFor({ allowInsecureHttp: true, resolve: dns.resolve, ...options })
  const url = `http://localhost:${receiver.port}/hooks`
  return { receiver, dns, sender, url }
}

describe('keep-alive', () => {
  it('sends many deliveries to one origin over one connection, resolved and checked once', async () => {
    const { receiver, dns, sender, url } = await namedLoopback()
    for (let i = 0; i < 20; i++) await sender.send({ url, body: BODY })
    expect(receiver.requests).toHaveLength(20)
    expect(receiver.connections).toBe(1)
    expect(dns.calls).toEqual(['localhost'])
  })

  it('opens a connection per delivery with keepAlive: false', async () => {
    const { receiver, dns, sender, url } = await namedLoopback({ keepAlive: false })
    for (let i = 0; i < 5; i++) await sender.send({ url, body: BODY })
    expect(receiver.connections).toBe(5)
    expect(dns.calls).toHaveLength(5)
  })

  it('opens at most maxSockets connections to one origin, however many deliveries wait', async () => {
    const { receiver, sender, url } = await namedLoopback({ keepAlive: { maxSockets: 2 } })
    const results = await Promise.all(
      Array.from({ length: 10 }, () => sender.send({ url, body: BODY })),
    )
    expect(results.every((result) => result.status === 200)).toBe(true)
    expect(receiver.requests).toHaveLength(10)
    expect(receiver.connections).toBeLessThanOrEqual(2)
  })

  it('closes the connection after a failed attempt, so that the retry connects and checks afresh', async () => {
    const { receiver, dns, sender, url } = await namedLoopback()
    receiver.reply({ status: 503 })
    const result = await sender.send({ url, body: BODY })
    expect(result.attempts.map((attempt) => attempt.status)).toEqual([503, 200])
    expect(receiver.connections).toBe(2)
    expect(dns.calls).toHaveLength(2)
  })

  it('refuses the next new connection once the name resolves to a forbidden address', async () => {
    const { receiver, dns, sender, url } = await namedLoopback({ maxAttempts: 1 })
    await sender.send({ url, body: BODY })
    dns.table.localhost = '10.0.0.7'
    // One delivery takes the idle connection, opened to the address checked before; the other
    // needs a new one, whose lookup now answers with a private address. The first answer waits
    // for that lookup, so that the connection is not free again before the second asks for one.
    let answer = (): void => {}
    receiver.reply((_request, res) => {
      answer = () => res.writeHead(200).end()
    })
    const sent = Promise.allSettled([
      sender.send({ url, body: BODY }),
      sender.send({ url, body: BODY }),
    ])
    await waitUntil(() => dns.calls.length === 2 && receiver.requests.length === 2, 'both')
    answer()
    const outcomes = await sent
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1)
    const refused = outcomes.find((outcome) => outcome.status === 'rejected')
    const error = await rejectionOf(Promise.reject(refused?.reason), DeliveryError)
    expect(error.attempts[0]?.error).toEqual({
      code: 'ERR_ADDRESS_FORBIDDEN',
      message: 'localhost resolves to 10.0.0.7, a private address',
    })
    expect(dns.calls).toHaveLength(2)
    expect(receiver.connections).toBe(1)
    expect(receiver.requests).toHaveLength(2)
  })

  it('never lends a connection verified for one name to another name on the same address', async () => {
    const certificate = await ca.issueServerCertificate({ dnsNames: ['receiver.test'] })
    const receiver = await receiverFor({ tls: certificate })
    const dns = switchableResolver({ 'receiver.test': '127.0.0.1', 'other.test': '127.0.0.1' })
    const sender = senderFor({ resolve: dns.resolve, ca: ca.caPem, maxAttempts: 1 })
    await sender.send({ url: `https://receiver.test:${receiver.port}/hooks`, body: BODY })
    await sender.send({ url: `https://receiver.test:${receiver.port}/hooks`, body: BODY })
    expect(receiver.connections).toBe(1)

    // The certificate does not name other.test: a connection of its own must fail its TLS check.
    const error = await rejectionOf(
      sender.send({ url: `https://other.test:${receiver.port}/hooks`, body: BODY }),
      DeliveryError,
    )
    expect(error.attempts[0]?.error?.code).toBe('ERR_NETWORK')
    expect(error.attempts[0]?.error?.message).toContain('other.test')
    expect(receiver.connections).toBe(2)
    expect(receiver.requests).toHaveLength(2)
  })

  it('closes idle connections on close, and connects per delivery afterwards', async () => {
    const { receiver, sender, url } = await namedLoopback()
    await sender.send({ url, body: BODY })
    expect(receiver.openConnections).toBe(1)
    await sender.close()
    await waitUntil(() => receiver.openConnections === 0, 'the idle connection to close')

    await sender.send({ url, body: BODY })
    expect(receiver.connections).toBe(2)
    await waitUntil(() => receiver.openConnections === 0, 'the later connection to close')
  })

  it('waits for an answer slower than idleTimeout: that bounds idle connections only', async () => {
    const { receiver, sender, url } = await namedLoopback({ keepAlive: { idleTimeout: 20 } })
    let answer: () => void = () => {}
    receiver.reply((_request, res) => {
      answer = () => res.writeHead(200).end()
    })
    const sent = sender.send({ url, body: BODY })
    await waitUntil(() => receiver.requests.length === 1, 'the request')
    await setTimeout(100)
    answer()
    await expect(sent).resolves.toMatchObject({ status: 200 })
    expect(receiver.connections).toBe(1)
  })

  it.each([
    ['a keepAlive that is not an object', { keepAlive: true }],
    ['a maxSockets of 0', { keepAlive: { maxSockets: 0 } }],
    ['a fractional maxIdleSockets', { keepAlive: { maxIdleSockets: 1.5 } }],
    ['a negative idleTimeout', { keepAlive: { idleTimeout: -1 } }],
  ])('refuses %s at creation', (_name, options) => {
    expect(() => senderFor(options as Partial<SenderOptions>)).toThrow(TypeError)
  })
})
