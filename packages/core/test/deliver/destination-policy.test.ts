import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSender, DeliveryError } from '../../src/send/index.js'
import type { DeadLetter, DeliveryEvent, ResolveHost, SenderOptions } from '../../src/send/index.js'
import { createTestCa } from '@hookseal/test-support/test-ca'
import type { TestCa } from '@hookseal/test-support/test-ca'
import { rejectionOf } from '@hookseal/test-support/rejection'
import { startReceiver } from './receiver.js'
import type { Receiver } from './receiver.js'
import { createTestSigning } from './signing.js'
import type { TestSigning } from './signing.js'

const BODY = '{"type":"invoice.paid"}'

let signing: TestSigning
let signCalls: number
let receiver: Receiver
let events: DeliveryEvent[]
let letters: DeadLetter[]

beforeAll(async () => {
  signing = await createTestSigning()
})

beforeEach(async () => {
  receiver = await startReceiver()
  signCalls = 0
  events = []
  letters = []
})

afterEach(() => receiver.close())

function senderFor(options: Partial<SenderOptions> = {}) {
  return createSender({
    signer: {
      issuer: signing.signer.issuer,
      sign: (request) => {
        signCalls++
        return signing.signer.sign(request)
      },
    },
    onDeadLetter: (letter) => {
      letters.push(letter)
    },
    onEvent: (event) => events.push(event),
    backoff: 5,
    maxBackoff: 5,
    ...options,
  })
}

/** Resolves the given names to fixed addresses, counting lookups. */
function fixedResolver(table: Record<string, string[] | (() => string[])>) {
  const calls: string[] = []
  const resolve: ResolveHost = async (hostname) => {
    calls.push(hostname)
    const entry = table[hostname]
    const addresses = typeof entry === 'function' ? entry() : entry
    if (addresses === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' })
    return addresses.map((address) => ({ address }))
  }
  return { resolve, calls }
}

function refusal(promise: Promise<unknown>): Promise<DeliveryError> {
  return rejectionOf(promise, DeliveryError)
}

/** Refused by policy: nothing signed, sent, reported or dead-lettered. */
async function refusedUpFront(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await refusal(promise)
  expect(error.code).toBe('ERR_DESTINATION_REFUSED')
  expect(error.attempts).toEqual([])
  expect(error.deadLetter).toBeUndefined()
  expect(signCalls).toBe(0)
  expect(letters).toEqual([])
  expect(events).toEqual([])
  expect(receiver.connections).toBe(0)
  return error
}

describe('allowedHosts', () => {
  it('refuses a host outside the list before signing or connecting', async () => {
    const sender = senderFor({ allowedHosts: ['hooks.partner.example', '*.customers.example'] })
    const error = await refusedUpFront(
      sender.send({ url: 'https://evil.example/hooks', body: BODY, webhookId: 'evt_1' }),
    )
    expect(error.message).toBe('evil.example is not on allowedHosts')
    expect(error.webhookId).toBe('evt_1')
  })

  it('refuses a look-alike of a listed suffix', async () => {
    const sender = senderFor({ allowedHosts: ['*.customers.example'] })
    await refusedUpFront(sender.send({ url: 'https://evilcustomers.example/', body: BODY }))
  })

  it('lets a listed host through', async () => {
    const sender = senderFor({
      allowedHosts: ['127.0.0.1'],
      allowInsecureHttp: true,
      allowPrivateAddresses: ['127.0.0.1'],
    })
    await expect(sender.send({ url: receiver.url, body: BODY })).resolves.toMatchObject({
      status: 200,
    })
  })
})

describe('transport security', () => {
  it.each([
    ['http: without allowInsecureHttp', 'http://127.0.0.1:1/hooks', false],
    ['http: to a host that is not loopback', 'http://partner.example/hooks', true],
    ['http: to a private address', 'http://10.0.0.5/hooks', true],
    ['an ftp: URL', 'ftp://partner.example/hooks', true],
    ['credentials in the URL', 'https://user:secret@partner.example/hooks', false],
    ['a relative URL', '/hooks', false],
  ])('refuses %s', async (_name, url, allowInsecureHttp) => {
    const sender = senderFor({
      allowInsecureHttp,
      allowPrivateAddresses: ['127.0.0.1', '10.0.0.5'],
    })
    await refusedUpFront(sender.send({ url, body: BODY }))
  })

  it('keeps plain http: on loopback even when a loopback name resolves elsewhere', async () => {
    const { resolve } = fixedResolver({ localhost: ['10.0.0.5'] })
    const sender = senderFor({
      allowInsecureHttp: true,
      allowPrivateAddresses: ['10.0.0.0/8'],
      resolve,
    })
    const error = await refusal(sender.send({ url: 'http://localhost:1/hooks', body: BODY }))
    expect(error.attempts[0]?.error).toEqual({
      code: 'ERR_ADDRESS_FORBIDDEN',
      message: 'localhost resolves to 10.0.0.5, not loopback, over plain http:',
    })
  })
})

describe('the SSRF guard on IP-literal URLs', () => {
  it('refuses 127.0.0.1 when it is not allow-listed, without connecting', async () => {
    const sender = senderFor({ allowInsecureHttp: true })
    const error = await refusedUpFront(sender.send({ url: receiver.url, body: BODY }))
    expect(error.message).toBe('127.0.0.1 is a loopback address, not allowed')
  })

  it('delivers to 127.0.0.1 once it is allow-listed', async () => {
    const sender = senderFor({ allowInsecureHttp: true, allowPrivateAddresses: ['127.0.0.0/8'] })
    await sender.send({ url: receiver.url, body: BODY })
    expect(receiver.requests).toHaveLength(1)
  })

  it.each([
    ['the cloud metadata address', 'https://169.254.169.254/latest/meta-data/', 'link-local'],
    ['a private address', 'https://10.0.0.1/hooks', 'private'],
    ['a private address spelt in hex', 'https://0xa000001/hooks', 'private'],
    ['a CGNAT address', 'https://100.64.0.1/hooks', 'shared'],
    ['the unspecified address', 'https://0.0.0.0/hooks', 'unspecified'],
    ['IPv6 loopback', 'https://[::1]/hooks', 'loopback'],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/hooks', 'loopback'],
    ['IPv6 link-local', 'https://[fe80::1]/hooks', 'link-local'],
    ['a unique local IPv6 address', 'https://[fd00::1]/hooks', 'private'],
    ['a multicast address', 'https://224.0.0.1/hooks', 'multicast'],
  ])('refuses %s', async (_name, url, kind) => {
    const sender = senderFor({ allowPrivateAddresses: ['127.0.0.2'] })
    const error = await refusedUpFront(sender.send({ url, body: BODY }))
    expect(error.message).toContain(`is a ${kind} address`)
  })
})

describe('the SSRF guard on resolved addresses', () => {
  let ca: TestCa
  let tlsReceiver: Receiver

  beforeAll(async () => {
    ca = await createTestCa()
  })

  beforeEach(async () => {
    const certificate = await ca.issueServerCertificate({ dnsNames: ['receiver.test'] })
    tlsReceiver = await startReceiver({ tls: certificate })
  })

  afterEach(() => tlsReceiver.close())

  function urlOf(host: string): string {
    return `https://${host}:${tlsReceiver.port}/hooks`
  }

  it('refuses a name that resolves to loopback, without connecting, and dead-letters it', async () => {
    const { resolve, calls } = fixedResolver({ 'receiver.test': ['127.0.0.1'] })
    const error = await refusal(
      senderFor({ resolve, ca: ca.caPem }).send({ url: urlOf('receiver.test'), body: BODY }),
    )
    expect(calls).toEqual(['receiver.test'])
    expect(tlsReceiver.connections).toBe(0)
    expect(error.code).toBe('ERR_DELIVERY_FAILED')
    expect(error.deadLetter?.reason).toBe('permanent-failure')
    expect(error.attempts).toHaveLength(1)
    expect(error.attempts[0]?.error).toEqual({
      code: 'ERR_ADDRESS_FORBIDDEN',
      message: 'receiver.test resolves to 127.0.0.1, a loopback address',
    })
    expect(letters).toHaveLength(1)
  })

  it.each([
    ['a private address', ['10.1.2.3'], 'a private address'],
    ['the metadata address', ['169.254.169.254'], 'a link-local address'],
    ['an IPv4-mapped loopback address', ['::ffff:127.0.0.1'], 'a loopback address'],
    ['a public and a private address', ['8.8.8.8', '192.168.0.10'], 'a private address'],
    ['something that is not an address', ['receiver.test'], 'not an IP address'],
  ])('refuses a name that resolves to %s', async (_name, addresses, why) => {
    const { resolve } = fixedResolver({ 'receiver.test': addresses })
    const error = await refusal(
      senderFor({ resolve, ca: ca.caPem }).send({ url: urlOf('receiver.test'), body: BODY }),
    )
    expect(tlsReceiver.connections).toBe(0)
    expect(error.attempts[0]?.error?.message).toContain(why)
  })

  it('connects to the allow-listed address the name resolves to, verifying TLS for the name', async () => {
    const { resolve, calls } = fixedResolver({ 'receiver.test': ['127.0.0.1'] })
    const sender = senderFor({ resolve, ca: ca.caPem, allowPrivateAddresses: ['127.0.0.1'] })
    const result = await sender.send({ url: urlOf('receiver.test'), body: BODY })
    expect(result.status).toBe(200)
    expect(calls).toEqual(['receiver.test'])
    expect(tlsReceiver.connections).toBe(1)
    expect(tlsReceiver.requests[0]?.headers.host).toBe(`receiver.test:${tlsReceiver.port}`)
  })

  it('lets a name listed in allowPrivateAddresses through, whatever it resolves to', async () => {
    const { resolve } = fixedResolver({ 'receiver.test': ['127.0.0.1'] })
    const sender = senderFor({ resolve, ca: ca.caPem, allowPrivateAddresses: ['receiver.test'] })
    await expect(sender.send({ url: urlOf('receiver.test'), body: BODY })).resolves.toMatchObject({
      status: 200,
    })
  })

  it('checks again on every attempt, so a name that rebinds to a private address is refused', async () => {
    const answers = [['127.0.0.1'], ['10.0.0.7']]
    const { resolve, calls } = fixedResolver({ 'receiver.test': () => answers.shift() ?? [] })
    tlsReceiver.setFallback({ status: 503 })
    const sender = senderFor({ resolve, ca: ca.caPem, allowPrivateAddresses: ['127.0.0.1'] })
    const error = await refusal(sender.send({ url: urlOf('receiver.test'), body: BODY }))
    expect(calls).toEqual(['receiver.test', 'receiver.test'])
    expect(tlsReceiver.requests).toHaveLength(1)
    expect(error.attempts.map((attempt) => attempt.status ?? attempt.error?.code)).toEqual([
      503,
      'ERR_ADDRESS_FORBIDDEN',
    ])
  })

  it('refuses a certificate from a CA it was not given', async () => {
    const { resolve } = fixedResolver({ 'receiver.test': ['127.0.0.1'] })
    const sender = senderFor({ resolve, allowPrivateAddresses: ['127.0.0.1'], maxAttempts: 1 })
    const error = await refusal(sender.send({ url: urlOf('receiver.test'), body: BODY }))
    expect(error.attempts[0]?.error?.code).toBe('ERR_NETWORK')
    expect(tlsReceiver.requests).toHaveLength(0)
  })

  it('retries a name that does not resolve', async () => {
    const { resolve, calls } = fixedResolver({})
    const sender = senderFor({ resolve, maxAttempts: 2 })
    const error = await refusal(sender.send({ url: urlOf('receiver.test'), body: BODY }))
    expect(calls).toHaveLength(2)
    expect(error.deadLetter?.reason).toBe('attempts-exhausted')
    expect(error.attempts[0]?.error?.code).toBe('ERR_NETWORK')
  })
})
