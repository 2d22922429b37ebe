import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { signOAuth1Request } from '@hookseal/core/send'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { BIN_ARGS, runCli } from './run-cli.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const WHSEC = `whsec_${Buffer.from('hookseal-cli-test-secret-32bytes').toString('base64')}`
const CONSUMER = { key: 'mx-agent', secret: 'kd94hf93k423kf44' }
const BODY = '{"type":"invoice.paid","amount":1200}'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hookseal-cli-schemes-'))
  await writeFile(join(dir, 'body.json'), BODY)
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Headers printed as `name: value` lines, as `hookseal sign` prints them. */
function headerLines(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
  )
}

async function requestFile(name: string, headers: Record<string, string>, body = BODY) {
  const head = Object.entries({ host: 'receiver.example', ...headers })
    .map(([key, value]) => `${key}: ${value}`)
    .join('\r\n')
  const path = join(dir, name)
  await writeFile(path, `POST /webhooks HTTP/1.1\r\n${head}\r\n\r\n${body}`)
  return path
}

/** The checklist lines of an explanation, as `mark step` pairs. */
function checklist(stdout: string): string[] {
  return [...stdout.matchAll(/^ {2}([✔✘·]) (\S+(?: \S+)*?) {2,}/gm)].map((m) => `${m[1]} ${m[2]}`)
}

// Each test runs the bin several times, which takes seconds on a busy machine.
describe('hookseal sign and verify with Standard Webhooks', { timeout: 90_000 }, () => {
  it('signs v1 with a whsec_ secret, and verify --explain passes every step', async () => {
    const signed = await runCli(['sign', '--whsec', WHSEC, '--body', join(dir, 'body.json')])
    expect(signed.code).toBe(0)
    const headers = headerLines(signed.stdout)
    expect(headers['webhook-signature']).toMatch(/^v1,/)
    const file = await requestFile('v1.http', headers)
    const result = await runCli(['verify', '--explain', '--request', file, '--whsec', WHSEC])
    expect(result.stdout).toContain('VALID: standard-webhooks from standard-webhooks')
    expect(checklist(result.stdout)).toEqual([
      '✔ signature found',
      '✔ headers parsed',
      '✔ signature',
      '✔ timestamp window',
      '✔ replay',
    ])
    expect(result.code).toBe(0)

    const tampered = await requestFile('v1-tampered.http', headers, BODY.replace('1200', '9900'))
    const refused = await runCli(['verify', '--explain', '--request', tampered, '--whsec', WHSEC])
    expect(checklist(refused.stdout)).toEqual([
      '✔ signature found',
      '✔ headers parsed',
      '✘ signature',
      '· timestamp window',
      '· replay',
    ])
    expect(refused.stdout).toContain('INVALID: ERR_SIGNATURE_INVALID')
    expect(refused.code).toBe(1)
  })

  it('signs v1a with an Ed25519 key and verifies it against the JWKS keygen printed', async () => {
    const keygen = await runCli(['keygen', '--type', 'ed25519', '--out', join(dir, 'ed.pem')])
    expect(keygen.code).toBe(0)
    await writeFile(join(dir, 'ed-jwks.json'), keygen.stdout)
    const signed = await runCli([
      'sign',
      '--v1a-key',
      join(dir, 'ed.pem'),
      '--body',
      join(dir, 'body.json'),
      '--timestamp',
      String(Math.floor(Date.now() / 1000) - 3600),
      '--json',
    ])
    const headers = JSON.parse(signed.stdout) as Record<string, string>
    expect(headers['webhook-signature']).toMatch(/^v1a,/)
    const file = await requestFile('v1a.http', headers)
    const result = await runCli([
      'verify',
      '--explain',
      '--request',
      file,
      '--whpk-jwks',
      join(dir, 'ed-jwks.json'),
    ])
    // Signed an hour ago: the key matches, the window refuses it.
    expect(checklist(result.stdout)).toEqual([
      '✔ signature found',
      '✔ headers parsed',
      '✔ signature',
      '✘ timestamp window',
      '· replay',
    ])
    expect(result.code).toBe(1)
    const wide = await runCli([
      'verify',
      '--json',
      '--request',
      file,
      '--whpk-jwks',
      join(dir, 'ed-jwks.json'),
      '--tolerance',
      '7200',
    ])
    expect(JSON.parse(wide.stdout)).toMatchObject({ valid: true, scheme: 'standard-webhooks' })
    expect(JSON.parse(wide.stdout).steps[2].detail).toMatch(/^v1a signature .* the JWKS key "/)
    expect(wide.code).toBe(0)
  })

  it('prints a curl command for a Standard Webhooks request, and exits 2 without the keys it needs', async () => {
    const curl = await runCli([
      'sign',
      '--whsec',
      WHSEC,
      '--body',
      join(dir, 'body.json'),
      '--url',
      'http://127.0.0.1:8787/webhooks',
      '--curl',
    ])
    expect(curl.stdout).toMatch(/^curl --globoff -X POST http:\/\/127\.0\.0\.1:8787\/webhooks /)
    expect(curl.stdout).toContain("-H 'webhook-signature: v1,")
    const noUrl = await runCli([
      'sign',
      '--whsec',
      WHSEC,
      '--body',
      join(dir, 'body.json'),
      '--curl',
    ])
    expect(noUrl.code).toBe(2)
    const badSecret = await runCli([
      'sign',
      '--whsec',
      'whsec_***',
      '--body',
      join(dir, 'body.json'),
    ])
    expect(badSecret.code).toBe(2)
    const signed = await runCli(['sign', '--whsec', WHSEC, '--body', join(dir, 'body.json')])
    const file = await requestFile('v1-other.http', headerLines(signed.stdout))
    const wrongScheme = await runCli(['verify', '--request', file, '--oauth1-consumer', 'a:b'])
    expect(wrongScheme.stderr).toContain(
      'is signed with standard-webhooks: configure its sender with --whsec',
    )
    expect(wrongScheme.code).toBe(2)
  })
})

// Each test runs the bin several times, which takes seconds on a busy machine.
describe('hookseal verify with OAuth 1.0a', { timeout: 90_000 }, () => {
  function oauthHeaders(timestamp?: number): Record<string, string> {
    return {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: signOAuth1Request({
        url: 'https://receiver.example/webhooks',
        consumerKey: CONSUMER.key,
        consumerSecret: CONSUMER.secret,
        formBody: 'amount=12.50',
        ...(timestamp === undefined ? {} : { timestamp }),
      }),
    }
  }

  it('explains a valid request step by step, and names the consumer', async () => {
    const file = await requestFile('oauth.http', oauthHeaders(), 'amount=12.50')
    const consumer = `${CONSUMER.key}:${CONSUMER.secret}`
    const result = await runCli([
      'verify',
      '--explain',
      '--request',
      file,
      '--oauth1-consumer',
      consumer,
    ])
    expect(checklist(result.stdout)).toEqual([
      '✔ credentials found',
      '✔ parameters parsed',
      '✔ method allowed',
      '✔ consumer known',
      '✔ timestamp window',
      '✔ signature',
      '✔ body hash',
      '✔ replay',
    ])
    expect(result.stdout).toContain('oauth_consumer_key: mx-agent')
    expect(result.stdout).toContain('VALID: oauth1 from oauth1')
    expect(result.code).toBe(0)
  })

  it('marks the failing step: a wrong secret, an unknown consumer, an old timestamp', async () => {
    const file = await requestFile('oauth-2.http', oauthHeaders(), 'amount=12.50')
    const wrong = await runCli([
      'verify',
      '--explain',
      '--request',
      file,
      '--oauth1-consumer',
      `${CONSUMER.key}:nope`,
    ])
    expect(checklist(wrong.stdout).slice(4, 7)).toEqual([
      '✔ timestamp window',
      '✘ signature',
      '· body hash',
    ])
    expect(wrong.stdout).toContain('pass --url or --oauth1-origin')
    const unknown = await runCli([
      'verify',
      '--explain',
      '--request',
      file,
      '--oauth1-consumer',
      'other:x',
    ])
    expect(checklist(unknown.stdout)[3]).toBe('✘ consumer known')
    const old = await requestFile('oauth-old.http', oauthHeaders(1_700_000_000), 'amount=12.50')
    const late = await runCli([
      'verify',
      '--explain',
      '--request',
      old,
      '--oauth1-consumer',
      `${CONSUMER.key}:${CONSUMER.secret}`,
    ])
    expect(checklist(late.stdout)[4]).toBe('✘ timestamp window')
    expect([wrong.code, unknown.code, late.code]).toEqual([1, 1, 1])
  })
})

// Each test runs the bin several times, which takes seconds on a busy machine.
describe('hookseal listen with every scheme', { timeout: 90_000 }, () => {
  let child: ChildProcessWithoutNullStreams
  let origin: string
  let output = ''

  beforeAll(async () => {
    child = spawn(
      process.execPath,
      [
        ...BIN_ARGS,
        'listen',
        '--port',
        '0',
        '--whsec',
        WHSEC,
        '--oauth1-consumer',
        `${CONSUMER.key}:${CONSUMER.secret}`,
      ],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 },
    )
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    origin = await new Promise<string>((resolve, reject) => {
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        const match =
          /listening on (http:\/\/\S+) for webhooks from standard-webhooks, oauth1/.exec(stderr)
        if (match?.[1]) resolve(match[1])
      })
      child.once('exit', (code) => reject(new Error(`listen exited with ${code}: ${stderr}`)))
    })
  })

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })

  async function post(headers: Record<string, string>, body: string) {
    const response = await fetch(`${origin}/webhooks`, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(10_000),
    })
    return response.status
  }

  async function waitForOutput(pattern: RegExp): Promise<void> {
    await waitUntil(() => pattern.test(output), `output matching ${pattern}`, 10_000).catch(
      () => {},
    )
    expect(output).toMatch(pattern)
  }

  it('prints the scheme and sender of each webhook it accepts or refuses', async () => {
    const signed = await runCli(['sign', '--whsec', WHSEC, '--body', join(dir, 'body.json')])
    const body = await readFile(join(dir, 'body.json'), 'utf8')
    expect(await post(headerLines(signed.stdout), body)).toBe(204)
    await waitForOutput(
      /✔ .* POST \/webhooks valid kid=v1\/0 id=msg_\S+ \(\d+ bytes\) scheme=standard-webhooks sender=standard-webhooks/,
    )

    const authorization = signOAuth1Request({
      url: `${origin}/webhooks`,
      consumerKey: CONSUMER.key,
      consumerSecret: CONSUMER.secret,
      formBody: 'amount=12.50',
    })
    const form = { 'content-type': 'application/x-www-form-urlencoded', authorization }
    expect(await post(form, 'amount=12.50')).toBe(204)
    await waitForOutput(/✔ .* valid kid=mx-agent .* scheme=oauth1 sender=oauth1/)

    expect(await post({ ...form, authorization: 'OAuth oauth_consumer_key=bare' }, 'a=1')).toBe(401)
    await waitForOutput(/✘ .* ERR_SIGNATURE_MALFORMED: .* scheme=oauth1/)
  })
})
