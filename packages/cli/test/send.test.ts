import { createServer } from 'node:http'
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HOSTILE, runCli, terminalControls } from './run-cli.js'

const ISSUER = 'https://partner.test'

interface Received {
  method: string | undefined
  headers: IncomingHttpHeaders
  body: string
}

let dir: string
let server: Server
let origin: string
const received = new Map<string, Received[]>()

/**
 * Answers per path: `/flaky` 503 once then 204, `/reject` always 400, `/hostile` 400 and
 * `/hostile-ok` 200 with a body full of terminal controls.
 */
function answer(path: string, count: number): number {
  if (path === '/flaky') return count === 1 ? 503 : 204
  if (path === '/reject' || path === '/hostile') return 400
  if (path === '/hostile-ok') return 200
  return 404
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hookseal-cli-send-'))
  const keygen = await runCli(['keygen', '--out', join(dir, 'key.pem')])
  expect(keygen.code).toBe(0)
  await writeFile(join(dir, 'body.json'), '{"type":"invoice.paid"}')
  server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const path = request.url ?? '/'
      const list = received.get(path) ?? []
      list.push({
        method: request.method,
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
      })
      received.set(path, list)
      const status = answer(path, list.length)
      response.writeHead(status, { 'content-type': 'text/plain' })
      response.end(path.startsWith('/hostile') ? HOSTILE : status === 400 ? 'unknown tenant' : '')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  await rm(dir, { recursive: true, force: true })
})

function sendArgs(path: string, extra: string[] = []): string[] {
  return [
    'send',
    '--key',
    join(dir, 'key.pem'),
    '--issuer',
    ISSUER,
    '--url',
    `${origin}${path}`,
    '--body',
    join(dir, 'body.json'),
    '--allow-insecure-http',
    '--allow-private',
    '127.0.0.1',
    '--backoff',
    '5',
    '--max-backoff',
    '10',
    '--timeout',
    '5000',
    ...extra,
  ]
}

describe('hookseal send', () => {
  it('retries a 503 and delivers on the second attempt with a fresh token each time', async () => {
    const result = await runCli(
      sendArgs('/flaky', ['--header', 'X-Tenant: acme', '--webhook-id', 'evt-123']),
    )
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/✘ attempt 1 {2}503 ERR_RESPONSE_STATUS {2}\d+ ms/)
    expect(result.stdout).toMatch(/✔ attempt 2 {2}204 {2}\d+ ms/)
    expect(result.stdout).toMatch(/✔ delivered: 204 after 2 attempts .*webhook-id evt-123/)
    expect(result.stdout).not.toMatch(/attempt 3/)

    const requests = received.get('/flaky') ?? []
    expect(requests).toHaveLength(2)
    const [first, second] = requests
    expect(first?.headers['webhook-id']).toBe('evt-123')
    expect(second?.headers['webhook-id']).toBe('evt-123')
    expect(first?.headers['x-signature']).toEqual(expect.any(String))
    expect(second?.headers['x-signature']).toEqual(expect.any(String))
    expect(first?.headers['x-signature']).not.toBe(second?.headers['x-signature'])
    expect(second?.headers['x-tenant']).toBe('acme')
    expect(second?.method).toBe('POST')
    expect(second?.body).toBe('{"type":"invoice.paid"}')
  })

  it('dead-letters a permanent 400 and exits 1 with the reason', async () => {
    const result = await runCli(sendArgs('/reject', ['--max-attempts', '4']))
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/✘ attempt 1 {2}400 ERR_RESPONSE_STATUS/)
    expect(result.stdout).toMatch(/✘ dead letter: permanent-failure after 1 attempt/)
    expect(result.stdout).toMatch(/ERR_RESPONSE_STATUS/)
    expect(result.stdout).toMatch(/response: unknown tenant/)
    expect(received.get('/reject')).toHaveLength(1)
  })

  it('prints the outcome as JSON with --json', async () => {
    const result = await runCli(sendArgs('/reject', ['--json']))
    expect(result.code).toBe(1)
    const output = JSON.parse(result.stdout) as Record<string, unknown>
    expect(output).toMatchObject({
      delivered: false,
      reason: 'permanent-failure',
      error: { code: 'ERR_RESPONSE_STATUS' },
      attempts: [{ attempt: 1, status: 400 }],
    })
  })

  it('escapes a hostile response body instead of writing its controls to the terminal', async () => {
    const result = await runCli(sendArgs('/hostile'))
    expect(result.code).toBe(1)
    expect(terminalControls(result.stdout)).toEqual([])
    expect(result.stdout).toContain(
      '  response: \\u001b]0;pwned\\u0007\\u001b]52;c;cm0gLXJmIH4=\\u0007\\r✔ delivered: 204\\n',
    )
    expect(result.stdout).not.toMatch(/^✔ delivered/m)
  })

  it('prints a hostile response body in --json escaped, with its value intact', async () => {
    const result = await runCli(sendArgs('/hostile-ok', ['--json']))
    expect(result.code).toBe(0)
    expect(terminalControls(result.stdout)).toEqual([])
    expect(JSON.parse(result.stdout)).toMatchObject({ delivered: true, responseBody: HOSTILE })
  })

  it('escapes hostile flag values quoted in a usage error', async () => {
    const result = await runCli(sendArgs('/flaky', ['--header', '\u001b]0;pwned\u0007']))
    expect(result.code).toBe(2)
    expect(terminalControls(result.stderr)).toEqual([])
    expect(result.stderr).toContain('(got \\u001b]0;pwned\\u0007)')
  })

  it('exits 2 for bad usage', async () => {
    const missing = await runCli(['send', '--issuer', ISSUER, '--url', `${origin}/flaky`])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/hookseal send: missing --/)

    const badHeader = await runCli(sendArgs('/flaky', ['--header', 'no-colon']))
    expect(badHeader.code).toBe(2)
    expect(badHeader.stderr).toMatch(/--header must look like 'Name: value'/)

    const refused = await runCli(
      sendArgs('/flaky').filter((arg) => arg !== '--allow-insecure-http'),
    )
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/destination refused/)
  })

  it('shows help with an example', async () => {
    const result = await runCli(['send', '--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/Usage: hookseal send/)
    expect(result.stdout).toMatch(/Example:/)
  })
})
