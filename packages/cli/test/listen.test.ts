import { createHash } from 'node:crypto'
import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { importPKCS8, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { BIN_ARGS, HOSTILE, runCli, terminalControls } from './run-cli.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const ISSUER = 'https://partner.test'

let dir: string
let child: ChildProcessWithoutNullStreams
let origin: string
let output = ''

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hookseal-cli-listen-'))
  const keygen = await runCli(['keygen', '--out', join(dir, 'key.pem')])
  // The sender's JWKS also publishes its key under a kid full of terminal controls: a sender
  // controls its kids as much as its jti.
  const jwks = JSON.parse(keygen.stdout) as { keys: Record<string, unknown>[] }
  jwks.keys.push({ ...jwks.keys[0], kid: HOSTILE })
  await writeFile(join(dir, 'jwks.json'), JSON.stringify(jwks))
  await writeFile(join(dir, 'body.json'), '{"type":"invoice.paid"}')
  child = spawn(
    process.execPath,
    [
      ...BIN_ARGS,
      'listen',
      '--issuer',
      ISSUER,
      '--jwks',
      join(dir, 'jwks.json'),
      '--port',
      '0',
      '--audience',
      'hookseal-test',
    ],
    { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 },
  )
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  origin = await new Promise<string>((resolve, reject) => {
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(stderr)
      if (match?.[1]) resolve(match[1])
    })
    child.once('exit', (code) => reject(new Error(`listen exited with ${code}: ${stderr}`)))
  })
})

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

async function waitForOutput(pattern: RegExp): Promise<void> {
  await waitUntil(() => pattern.test(output), `output matching ${pattern}`, 5000).catch(() => {})
  expect(output).toMatch(pattern)
}

describe('hookseal listen', () => {
  it('accepts a signed webhook and prints it as valid', async () => {
    const url = `${origin}/webhooks`
    const body = await readFile(join(dir, 'body.json'))
    const signed = await runCli([
      'sign',
      '--key',
      join(dir, 'key.pem'),
      '--issuer',
      ISSUER,
      '--url',
      url,
      '--audience',
      'hookseal-test',
      '--body',
      join(dir, 'body.json'),
      '--json',
    ])
    const headers = JSON.parse(signed.stdout) as Record<string, string>
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(5000),
    })
    expect(response.status).toBe(204)
    await waitForOutput(/✔ .* POST \/webhooks valid/)
  })

  it('refuses an unsigned request with 401 and prints the reason', async () => {
    const response = await fetch(`${origin}/webhooks`, {
      method: 'POST',
      body: '{}',
      signal: AbortSignal.timeout(5000),
    })
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ code: 'ERR_SIGNATURE_MISSING' })
    await waitForOutput(/✘ .* POST \/webhooks ERR_SIGNATURE_MISSING/)
  })

  it('escapes a hostile kid and jti in the line it prints for a valid webhook', async () => {
    const body = await readFile(join(dir, 'body.json'))
    const key = await importPKCS8(await readFile(join(dir, 'key.pem'), 'utf8'), 'RS256')
    const token = await new SignJWT({
      request_body_sha256: createHash('sha256').update(body).digest('hex'),
    })
      .setProtectedHeader({ alg: 'RS256', kid: HOSTILE, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience('hookseal-test')
      .setIssuedAt()
      .setExpirationTime('2 min')
      .setJti(`${HOSTILE}-jti`)
      .sign(key)
    const response = await fetch(`${origin}/webhooks`, {
      method: 'POST',
      headers: { 'x-signature': token },
      body,
      signal: AbortSignal.timeout(5000),
    })
    expect(response.status).toBe(204)
    const escaped = '\\u001b]0;pwned\\u0007\\u001b]52;c;cm0gLXJmIH4=\\u0007\\r✔ delivered: 204\\n'
    await waitForOutput(/valid kid=\\u001b/)
    expect(output).toContain(`valid kid=${escaped}`)
    expect(output).toContain(`-jti (${body.length} bytes)`)
    expect(output).not.toMatch(/^✔ delivered/m)
    expect(terminalControls(output)).toEqual([])
  })

  it('stops with exit 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})
