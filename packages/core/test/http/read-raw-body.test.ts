import { createServer, request } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { WebhookError } from '../../src/index.js'
import { readRawBody } from '../../src/http/index.js'

let server: Server | undefined

afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  server = undefined
})

/** Starts a server that reads each body with `read` and answers with the outcome as JSON. */
async function serve(read: (req: IncomingMessage) => Promise<Buffer>): Promise<string> {
  server = createServer((req, res) => {
    read(req).then(
      (body) => res.end(JSON.stringify({ bytes: body.length, text: body.toString() })),
      (error: WebhookError) => res.end(JSON.stringify({ code: error.code })),
    )
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

function post(url: string, body: Buffer, headers: Record<string, string> = {}): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())))
    })
    req.on('error', reject)
    req.end(body)
  })
}

describe('readRawBody', () => {
  it('returns the exact bytes sent, including ones that are not UTF-8', async () => {
    const url = await serve((req) => readRawBody(req, 1024))
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d])
    expect(await post(url, body)).toEqual({ bytes: 4, text: body.toString() })
  })

  it('refuses a body over the limit', async () => {
    const url = await serve((req) => readRawBody(req, 10))
    expect(await post(url, Buffer.alloc(11))).toEqual({ code: 'ERR_BODY_TOO_LARGE' })
    expect(await post(url, Buffer.alloc(10))).toMatchObject({ bytes: 10 })
  })

  it('refuses a chunked body over the limit while reading it', async () => {
    const url = await serve((req) => readRawBody(req, 10))
    const chunked = { 'transfer-encoding': 'chunked' }
    expect(await post(url, Buffer.alloc(64), chunked)).toEqual({ code: 'ERR_BODY_TOO_LARGE' })
  })

  it('refuses a body still incomplete after the timeout, with 408 and Connection: close', async () => {
    let refusal: WebhookError | undefined
    const url = await serve((req) =>
      readRawBody(req, 1024, { timeout: 100 }).catch((error: WebhookError) => {
        refusal = error
        throw error
      }),
    )
    const outcome = await new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'content-length': '10' } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())))
      })
      req.on('error', reject)
      // Five of the ten bytes announced, and the rest never: only the timeout ends the read.
      req.write('12345')
    })
    expect(outcome).toEqual({ code: 'ERR_BODY_TIMEOUT' })
    expect(refusal).toMatchObject({ status: 408, headers: { connection: 'close' } })
  })

  it('refuses at once a stream another parser already read', async () => {
    const url = await serve(async (req) => {
      for await (const chunk of req) void chunk
      return readRawBody(req, 1024)
    })
    expect(await post(url, Buffer.from('{}'))).toEqual({ code: 'ERR_RAW_BODY_UNAVAILABLE' })
  })
})
