import { execFile } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { createVerifier, WebhookError } from '@hookseal/core'
import { createStandardWebhooksKeys, standardWebhooksHeaders } from '@hookseal/core/testing'
import { describe, expect, it, vi } from 'vitest'
import { main } from '../src/main.js'
import { bodyView } from '../src/ui/body-view.js'
import { createRequestLog } from '../src/ui/create-request-log.js'
import { curlOfRequest } from '../src/ui/curl-of-request.js'
import { describeArrival } from '../src/ui/describe-arrival.js'
import type { LoggedRequest } from '../src/ui/describe-arrival.js'

function logged(overrides: Partial<LoggedRequest>): LoggedRequest {
  return {
    at: 0,
    method: 'POST',
    url: '/hook',
    rawHeaders: [],
    body: Buffer.alloc(0),
    bodyBytes: 0,
    truncated: false,
    scheme: 'jwt',
    sender: undefined,
    senderVerified: false,
    valid: false,
    status: 401,
    code: undefined,
    message: undefined,
    steps: [],
    header: undefined,
    claims: undefined,
    ...overrides,
  }
}

describe('createRequestLog', () => {
  it('keeps the last `limit` values under ids never reused, and tells subscribers', () => {
    const log = createRequestLog<string>(3)
    const seen: number[] = []
    const stop = log.subscribe((id) => seen.push(id))
    for (const value of ['a', 'b', 'c', 'd']) log.add(value)
    stop()
    log.add('e')
    expect(log.entries()).toEqual([
      [3, 'c'],
      [4, 'd'],
      [5, 'e'],
    ])
    expect([log.get(1), log.get(2), log.get(3), log.get(5), log.get(6)]).toEqual([
      undefined,
      undefined,
      'c',
      'e',
      undefined,
    ])
    expect(seen).toEqual([1, 2, 3, 4])
  })
})

describe('describeArrival', () => {
  it("explains a Standard Webhooks request with that scheme's steps, the failing one marked", async () => {
    const { secret } = createStandardWebhooksKeys()
    const verifier = createVerifier({
      senders: [{ scheme: 'standard-webhooks', id: 'billing', secrets: [secret] }],
    })
    const body = Buffer.from('{"type":"invoice.paid"}')
    const headers = standardWebhooksHeaders({ body, secrets: [secret] })
    const rawHeaders = Object.entries(headers).flat()
    const context = { signatureHeader: 'x-signature', kids: undefined, tolerance: 300 }
    const arrive = async (sent: Buffer) => {
      const request = { method: 'POST', url: '/webhooks', rawHeaders, body: sent }
      try {
        const webhook = await verifier.verify({ ...request, headers: rawHeaders })
        return describeArrival({ ...request, outcome: { webhook }, status: 204 }, context, 1024)
      } catch (error) {
        expect(error).toBeInstanceOf(WebhookError)
        return describeArrival({ ...request, outcome: { error }, status: 401 }, context, 1024)
      }
    }

    const valid = await arrive(body)
    expect(valid).toMatchObject({ scheme: 'standard-webhooks', sender: 'billing', valid: true })
    expect(valid.steps.map((step) => step.step)).toContain('timestamp window')
    expect(valid.steps.every((step) => step.status === 'pass')).toBe(true)

    const tampered = await arrive(Buffer.from('{"type":"invoice.void"}'))
    expect(tampered).toMatchObject({ scheme: 'standard-webhooks', valid: false })
    expect(tampered.steps.find((step) => step.status === 'fail')?.step).toBe('signature')
    expect(tampered.steps.at(-1)?.status).toBe('skip')
  })
})

describe('bodyView', () => {
  it('indents JSON without parsing its values: long numbers and repeated members stay', () => {
    const view = bodyView(Buffer.from('{"n":12345678901234567890,"a":[],"a":{"s":"x,\\"}"}}'))
    expect(view).toEqual({
      kind: 'json',
      text: '{\n  "n": 12345678901234567890,\n  "a": [],\n  "a": {\n    "s": "x,\\"}"\n  }\n}',
    })
  })

  it('shows UTF-8 text as text and anything else as a hex dump', () => {
    expect(bodyView(Buffer.from('a=1&b=é'))).toEqual({ kind: 'text', text: 'a=1&b=é' })
    expect(bodyView(Buffer.from([0x41, 0x00, 0xff]))).toEqual({
      kind: 'hex',
      text: `00000000  41 00 ff${' '.repeat(39)}  |A..|`,
    })
  })
})

describe('curlOfRequest', () => {
  it('gives a command that sends the same method, path, headers and every byte of the body', async () => {
    const received: Array<{ method?: string; url?: string; headers: string[]; body: Buffer }> = []
    const server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const { method, url, rawHeaders } = request
        received.push({ method, url, headers: rawHeaders, body: Buffer.concat(chunks) })
        response.end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const body = Buffer.from([...Array(256).keys()].concat([...Buffer.from("'%s\\n%%'")]))
      const entry = logged({
        method: 'PUT',
        url: '/a/../b?x=[1]&y={2}',
        rawHeaders: ['X-Empty', '', 'X-Twice', 'one', 'x-twice', "it's $HOME `id`", 'Host', 'h'],
        body,
        bodyBytes: body.length,
      })
      const curl = curlOfRequest(entry, origin)
      if (!('command' in curl)) throw new Error(curl.unavailable)
      expect(curl.command).toMatch(/^[\x20-\x7e]+$/)
      await promisify(execFile)('sh', ['-c', `${curl.command} -s`])
      expect(received).toHaveLength(1)
      expect(received[0]?.method).toBe('PUT')
      expect(received[0]?.url).toBe('/a/../b?x=[1]&y={2}')
      expect(received[0]?.body.equals(body)).toBe(true)
      const sent = received[0]?.headers.filter(
        (_, i, all) => !/^(host|content-length)$/i.test(all[i - (i % 2)] as string),
      )
      expect(sent).toEqual(['X-Empty', '', 'X-Twice', 'one', 'x-twice', "it's $HOME `id`"])
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('says why a request with a truncated body or a non-ASCII header cannot be a command', () => {
    expect(
      curlOfRequest(
        logged({ bodyBytes: 9, truncated: true, body: Buffer.from('abc') }),
        'http://h',
      ),
    ).toEqual({
      unavailable: 'only the first 3 of its 9 body bytes are kept (--ui-body-limit)',
    })
    expect(curlOfRequest(logged({ rawHeaders: ['x-name', 'caf\u00e9'] }), 'http://h')).toEqual({
      unavailable: 'header "x-name" is not printable ASCII',
    })
  })
})

describe('listen --ui flags', () => {
  it.each([
    [['--ui-history', '0'], '--ui-history must be a whole number, 1 or more (got 0)'],
    [['--ui-port', '70000'], '--ui-port must be at most 65535'],
    [['--ui-body-limit', '1.5'], '--ui-body-limit must be a whole number, 0 or more (got 1.5)'],
  ])('refuses %j as bad usage (exit 2) before listening', async (flags, message) => {
    const stderr = vi.spyOn(process.stderr, 'write').mockReturnValue(true)
    try {
      const args = ['listen', '--issuer', 'https://p.test', '--jwks', 'missing.json', '--ui']
      expect(await main([...args, ...flags])).toBe(2)
      expect(stderr.mock.calls.map(([text]) => String(text)).join('')).toContain(message)
    } finally {
      stderr.mockRestore()
    }
  })
})
