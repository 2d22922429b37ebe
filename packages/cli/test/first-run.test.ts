import { execFile } from 'node:child_process'
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createVerifier } from '@hookseal/core'
import hooksealFastify from '@hookseal/fastify'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './run-cli.js'

const ISSUER = 'https://partner.example'
const AUDIENCE = 'https://api.example.com/webhooks'

let dir: string
let jwksServer: Server
let app: FastifyInstance
let origin: string
const delivered: unknown[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hookseal-cli-first-run-'))
  // Step 1 of the README: a key with every default, its public JWKS from stdout.
  const keygen = await runCli(['keygen', '--out', join(dir, 'webhook-key.pem')])
  expect(keygen.code).toBe(0)
  await writeFile(join(dir, 'jwks.json'), keygen.stdout)
  await writeFile(join(dir, 'event.json'), '{"type":"invoice.paid"}')

  const jwks = await readFile(join(dir, 'jwks.json'))
  jwksServer = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(jwks)
  })
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))

  // The README's Fastify receiver: default verifier options, only the JWKS on loopback http.
  const verifier = createVerifier({
    issuers: [
      {
        issuer: ISSUER,
        jwksUri: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`,
        audience: AUDIENCE,
      },
    ],
    allowInsecureHttp: true,
  })
  app = Fastify()
  await app.register(hooksealFastify, { verifier })
  app.post('/webhooks/*', { config: { webhook: true } }, async (request) => {
    delivered.push(request.body)
    return { received: request.webhook?.id }
  })
  origin = await app.listen({ port: 0, host: '127.0.0.1' })
})

afterAll(async () => {
  await app?.close()
  await new Promise((resolve) => jwksServer?.close(resolve))
  await rm(dir, { recursive: true, force: true })
})

/** Runs a printed command line in a POSIX shell, in the test folder, as a user pasting it would. */
async function runInShell(command: string): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)('sh', ['-c', command], { cwd: dir, timeout: 15_000 })
}

function signArgs(url: string, body: string, extra: string[] = []): string[] {
  return [
    'sign',
    '--key',
    join(dir, 'webhook-key.pem'),
    '--issuer',
    ISSUER,
    '--url',
    url,
    '--audience',
    AUDIENCE,
    '--body',
    body,
    '--curl',
    ...extra,
  ]
}

describe('the first-time path with every default', () => {
  it('keygen makes an RS256 key, the one algorithm a default receiver accepts', async () => {
    const { keys } = JSON.parse(await readFile(join(dir, 'jwks.json'), 'utf8')) as {
      keys: { alg: string; kty: string }[]
    }
    expect(keys).toMatchObject([{ alg: 'RS256', kty: 'RSA' }])
  })

  it('keygen → sign --curl → the README Fastify receiver accepts the webhook', async () => {
    const signed = await runCli(signArgs(`${origin}/webhooks/invoices`, join(dir, 'event.json')))
    expect(signed.code).toBe(0)
    expect(signed.stdout).toContain(`-H 'content-type: application/json'`)
    const before = delivered.length
    const { stdout } = await runInShell(signed.stdout)
    expect(JSON.parse(stdout)).toMatchObject({ received: expect.any(String) })
    expect(delivered.slice(before)).toEqual([{ type: 'invoice.paid' }])
  })

  it('prints a curl command the shell runs as signed, whatever the URL and file name hold', async () => {
    const body = join(dir, "it's $(touch pwned).json")
    await writeFile(body, '{"type":"invoice.void"}')
    const url = `${origin}/webhooks/it's$(touch pwned)\`touch pwned\`[1]{a,b}\u202e`
    const signed = await runCli(signArgs(url, body))
    expect(signed.code).toBe(0)
    expect(signed.stdout).not.toContain('\u202e')
    const before = delivered.length
    const { stdout } = await runInShell(signed.stdout)
    expect(JSON.parse(stdout)).toMatchObject({ received: expect.any(String) })
    expect(delivered.slice(before)).toEqual([{ type: 'invoice.void' }])
    await expect(access(join(dir, 'pwned'))).rejects.toThrow()
  })

  it('sends another Content-Type when told, and refuses one that is not a header value', async () => {
    const signed = await runCli(
      signArgs(`${origin}/webhooks/x`, join(dir, 'event.json'), ['--content-type', 'text/plain']),
    )
    expect(signed.stdout).toContain(`-H 'content-type: text/plain'`)
    const bad = await runCli(
      signArgs(`${origin}/webhooks/x`, join(dir, 'event.json'), ['--content-type', 'a\nb']),
    )
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('hookseal sign: --content-type must be a header value (got a\\nb)')
  })
})
