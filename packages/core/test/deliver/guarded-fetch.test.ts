import { createRequire } from 'node:module'
import type * as Tls from 'node:tls'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTestCa } from '@hookseal/test-support/test-ca'
import type { TestCa, TestCertificate } from '@hookseal/test-support/test-ca'
import { BoundedRequestError } from '../../src/lib/bounded-request.js'
import { DeliveryAttemptError } from '../../src/send/index.js'
import { createGuardedFetch } from '../../src/deliver/guarded-fetch.js'
import { startReceiver } from './receiver.js'
import type { Receiver } from './receiver.js'

// The process-wide TLS defaults live on the CommonJS module object; ESM bindings are read-only.
const tls = createRequire(import.meta.url)('node:tls') as typeof Tls

let receiver: Receiver

beforeEach(async () => {
  receiver = await startReceiver()
})

afterEach(async () => {
  await receiver.close()
})

const loopback = { allowInsecureHttp: true, allowPrivateAddresses: ['127.0.0.1'] }

describe('createGuardedFetch', () => {
  it('sends the method, headers and body, and answers with a Response', async () => {
    receiver.reply({
      status: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    })
    const guardedFetch = createGuardedFetch(loopback)
    const response = await guardedFetch(receiver.url, {
      method: 'POST',
      headers: { 'x-test': 'yes' },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    })
    expect(response.status).toBe(201)
    expect(await response.json()).toEqual({ a: 1 })
    const [request] = receiver.requests
    expect(request?.headers['x-test']).toBe('yes')
    expect(request?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/)
    expect(request?.body.toString()).toBe('grant_type=client_credentials')
  })

  it('returns a redirect as it is, without following it', async () => {
    receiver.reply({ status: 302, headers: { location: `${receiver.url}/elsewhere` } })
    const response = await createGuardedFetch(loopback)(receiver.url)
    expect(response.status).toBe(302)
    expect(receiver.requests).toHaveLength(1)
  })

  it('answers a 204 with an empty body', async () => {
    receiver.reply({ status: 204 })
    const response = await createGuardedFetch(loopback)(receiver.url)
    expect(response.status).toBe(204)
    expect(response.body).toBeNull()
  })

  it('fails a response over maxResponseBytes', async () => {
    receiver.reply({ status: 200, body: 'x'.repeat(2048) })
    const error = await createGuardedFetch({ ...loopback, maxResponseBytes: 1024 })(
      receiver.url,
    ).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(BoundedRequestError)
    expect((error as BoundedRequestError).reason).toBe('too-large')
  })

  it('fails a response that does not arrive within the timeout', async () => {
    receiver.reply('hang')
    const error = await createGuardedFetch({ ...loopback, timeout: 50 })(receiver.url).catch(
      (err: unknown) => err,
    )
    expect((error as BoundedRequestError).reason).toBe('timeout')
  })

  it('ends the request when the caller aborts', async () => {
    receiver.reply('hang')
    const controller = new AbortController()
    const pending = createGuardedFetch(loopback)(receiver.url, { signal: controller.signal })
    controller.abort(new Error('stop'))
    await expect(pending).rejects.toThrow('stop')
  })

  it('refuses a loopback address that is not allow-listed, before connecting', async () => {
    const error = await createGuardedFetch({ allowInsecureHttp: true })(receiver.url).catch(
      (err: unknown) => err,
    )
    expect(error).toBeInstanceOf(DeliveryAttemptError)
    expect((error as DeliveryAttemptError).code).toBe('ERR_ADDRESS_FORBIDDEN')
    expect(receiver.connections).toBe(0)
  })

  it('refuses a host name that resolves to a private address', async () => {
    const guardedFetch = createGuardedFetch({
      resolve: () => Promise.resolve([{ address: '10.0.0.7' }]),
    })
    const error = await guardedFetch('https://token.partner.example/token').catch(
      (err: unknown) => err,
    )
    expect((error as DeliveryAttemptError).code).toBe('ERR_ADDRESS_FORBIDDEN')
  })

  it('refuses plain http without allowInsecureHttp, and other methods', async () => {
    await expect(createGuardedFetch()(receiver.url)).rejects.toThrow(TypeError)
    await expect(createGuardedFetch(loopback)(receiver.url, { method: 'DELETE' })).rejects.toThrow(
      TypeError,
    )
    expect(receiver.connections).toBe(0)
  })

  describe('over HTTPS', () => {
    let ca: TestCa
    let certificate: TestCertificate

    beforeAll(async () => {
      ca = await createTestCa()
      certificate = await ca.issueServerCertificate({ ipAddresses: ['127.0.0.1'] })
    })

    it('talks to a TLS 1.2+ server whose certificate chains to the configured ca', async () => {
      const secure = await startReceiver({ tls: certificate })
      try {
        const guardedFetch = createGuardedFetch({
          allowPrivateAddresses: ['127.0.0.1'],
          ca: ca.caPem,
        })
        expect((await guardedFetch(secure.url)).status).toBe(200)
      } finally {
        await secure.close()
      }
    })

    it('refuses a server that speaks only TLS 1.1', async () => {
      const legacy = await startReceiver({
        tls: {
          ...certificate,
          minVersion: 'TLSv1',
          maxVersion: 'TLSv1.1',
          // OpenSSL 3 signs TLS 1.1 handshakes only below security level 1.
          ciphers: 'DEFAULT@SECLEVEL=0',
        },
      })
      // As `node --tls-min-v1.0` would: only the guarded fetch's own minimum stands in the way.
      const defaults = { minVersion: tls.DEFAULT_MIN_VERSION, ciphers: tls.DEFAULT_CIPHERS }
      tls.DEFAULT_MIN_VERSION = 'TLSv1'
      tls.DEFAULT_CIPHERS = 'DEFAULT@SECLEVEL=0'
      try {
        const guardedFetch = createGuardedFetch({
          allowPrivateAddresses: ['127.0.0.1'],
          ca: ca.caPem,
        })
        const error = await guardedFetch(legacy.url).catch((err: unknown) => err)
        expect((error as Error).message).toContain('alert protocol version')
        expect(legacy.requests).toHaveLength(0)
      } finally {
        tls.DEFAULT_MIN_VERSION = defaults.minVersion
        tls.DEFAULT_CIPHERS = defaults.ciphers
        await legacy.close()
      }
    })
  })
})
