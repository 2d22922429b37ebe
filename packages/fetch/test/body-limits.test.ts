/**
 * What the shared runtime suite cannot send over a socket with a fixed Content-Length: a chunked
 * body passing the limit while it streams, a body that stops arriving, a body something else read,
 * and refusals handed to the caller with `onError: 'forward'`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebhookError } from '@hookseal/core'
import type { Verifier } from '@hookseal/core'
import { settlesAfter, useFakeClock } from '@hookseal/test-support/fake-clock'
import { verifyRequest, withWebhook } from '../src/index.js'

afterEach(() => vi.useRealTimers())

/** A verifier that must never be reached: every case here is refused before verification. */
const unreachable: Verifier = {
  verify: () => Promise.reject(new Error('the body was verified although it should not be')),
}

/** A streamed body of `chunks` chunks of 1 KiB, counting how many the reader pulled. */
function streamed(chunks: number): { request: Request; pulled: () => number } {
  let pulled = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === chunks) return controller.close()
      pulled++
      controller.enqueue(new Uint8Array(1024))
    },
  })
  const request = new Request('http://127.0.0.1/webhooks', {
    method: 'POST',
    body,
    duplex: 'half',
  } as RequestInit)
  return { request, pulled: () => pulled }
}

async function problemOf(response: Response) {
  return { status: response.status, code: ((await response.json()) as { code: string }).code }
}

describe('withWebhook', () => {
  it('answers 413 as soon as a streamed body passes the limit, without reading the rest', async () => {
    const { request, pulled } = streamed(1024)
    const handle = withWebhook({ verifier: unreachable, limit: 4 * 1024 }, () => new Response())
    const response = await handle(request)
    expect(await problemOf(response)).toEqual({ status: 413, code: 'ERR_BODY_TOO_LARGE' })
    expect(pulled()).toBeLessThan(10)
  })

  it('answers 408 when the body is still incomplete after bodyTimeout', async () => {
    useFakeClock()
    const body = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(new Uint8Array(8)) })
    const request = new Request('http://127.0.0.1/webhooks', {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit)
    const handle = withWebhook({ verifier: unreachable, bodyTimeout: 5000 }, () => new Response())
    const response = (await settlesAfter(handle(request), 5000, 'the body timeout')) as Response
    expect(await problemOf(response)).toEqual({ status: 408, code: 'ERR_BODY_TIMEOUT' })
    expect(response.headers.get('connection')).toBe('close')
  })

  it('refuses a request whose body something else already read', async () => {
    const request = new Request('http://127.0.0.1/webhooks', { method: 'POST', body: '{}' })
    await request.text()
    const response = await withWebhook({ verifier: unreachable }, () => new Response())(request)
    expect(await problemOf(response)).toEqual({ status: 500, code: 'ERR_RAW_BODY_UNAVAILABLE' })
  })

  it("throws the refusal for the caller to answer with onError: 'forward'", async () => {
    const { request } = streamed(8)
    const handle = withWebhook(
      { verifier: unreachable, limit: 1024, onError: 'forward' },
      () => new Response(),
    )
    await expect(handle(request)).rejects.toMatchObject({ code: 'ERR_BODY_TOO_LARGE', status: 413 })
  })

  it('throws a TypeError for bad options at once', () => {
    expect(() => withWebhook({ verifier: unreachable, limit: 0 }, () => new Response())).toThrow(
      TypeError,
    )
  })
})

describe('verifyRequest', () => {
  it('rejects with the typed refusal, by Content-Length, before reading', async () => {
    const request = new Request('http://127.0.0.1/webhooks', {
      method: 'POST',
      body: 'x'.repeat(100),
      headers: { 'content-length': '100' },
    })
    const refusal = await verifyRequest(unreachable, request, { limit: 10 }).catch(
      (e: unknown) => e,
    )
    expect(refusal).toBeInstanceOf(WebhookError)
    expect(refusal).toMatchObject({ code: 'ERR_BODY_TOO_LARGE', status: 413 })
    expect(request.bodyUsed).toBe(false)
  })
})
