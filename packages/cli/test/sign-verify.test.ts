import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importPKCS8, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HOSTILE, runCli, terminalControls } from './run-cli.js'

const ISSUER = 'https://partner.test'
const URL_ = 'https://receiver.test/webhooks'

let dir: string
let keyFile: string
let jwksFile: string
let bodyFile: string
let kid: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hookseal-cli-verify-'))
  keyFile = join(dir, 'key.pem')
  jwksFile = join(dir, 'jwks.json')
  bodyFile = join(dir, 'body.json')
  const keygen = await runCli(['keygen', '--out', keyFile])
  await writeFile(jwksFile, keygen.stdout)
  kid = (JSON.parse(keygen.stdout) as { keys: { kid: string }[] }).keys[0]?.kid ?? ''
  await writeFile(bodyFile, '{"type":"invoice.paid"}')
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function signedToken(): Promise<string> {
  const result = await runCli([
    'sign',
    '--key',
    keyFile,
    '--issuer',
    ISSUER,
    '--url',
    URL_,
    '--body',
    bodyFile,
    '--json',
  ])
  expect(result.code).toBe(0)
  return (JSON.parse(result.stdout) as Record<string, string>)['x-signature'] ?? ''
}

function verifyArgs(token: string, ...extra: string[]): string[] {
  return [
    'verify',
    '--token',
    token,
    '--body',
    bodyFile,
    '--jwks',
    jwksFile,
    '--issuer',
    ISSUER,
    '--audience',
    URL_,
    ...extra,
  ]
}

describe('hookseal sign', () => {
  it('prints the signature and webhook id headers', async () => {
    const result = await runCli([
      'sign',
      '--key',
      keyFile,
      '--issuer',
      ISSUER,
      '--url',
      URL_,
      '--body',
      bodyFile,
      '--webhook-id',
      'evt_1',
    ])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      /^content-type: application\/json\nx-signature: [\w-]+\.[\w-]+\.[\w-]+\nwebhook-id: evt_1\n$/,
    )
  })

  it('prints a curl command that sends the body file', async () => {
    const result = await runCli([
      'sign',
      '--key',
      keyFile,
      '--issuer',
      ISSUER,
      '--url',
      URL_,
      '--body',
      bodyFile,
      '--curl',
    ])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(
      `curl --globoff -X POST ${URL_} -H 'content-type: application/json' -H 'x-signature: `,
    )
    expect(result.stdout).toContain(`--data-binary @${bodyFile}`)
  })

  it('exits 2 for a bad URL, a missing body and a bad key', async () => {
    const base = ['sign', '--key', keyFile, '--issuer', ISSUER, '--body', bodyFile]
    expect((await runCli([...base, '--url', 'ftp://x'])).stderr).toContain('--url must be')
    const missing = await runCli([
      'sign',
      '--key',
      keyFile,
      '--issuer',
      ISSUER,
      '--url',
      URL_,
      '--body',
      join(dir, 'none'),
    ])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('no such file')
    const bad = await runCli([
      'sign',
      '--key',
      jwksFile,
      '--issuer',
      ISSUER,
      '--url',
      URL_,
      '--body',
      bodyFile,
    ])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('bad key file')
  })
})

describe('hookseal verify', () => {
  it('exits 0 and passes every step for a valid token', async () => {
    const result = await runCli(verifyArgs(await signedToken(), '--explain'))
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('✔ signature')
    expect(result.stdout).toContain('✔ body digest')
    expect(result.stdout).not.toContain('✘')
    expect(result.stdout).toContain('VALID')
  })

  it('explains a body that does not match its digest, leaving later steps unchecked', async () => {
    const other = join(dir, 'other.json')
    await writeFile(other, '{"type":"invoice.void"}')
    const token = await signedToken()
    const args = verifyArgs(token, '--explain')
    args[args.indexOf(bodyFile)] = other
    const result = await runCli(args)
    expect(result.code).toBe(1)
    const actual = createHash('sha256')
      .update(await readFile(other))
      .digest('hex')
    expect(result.stdout).toMatch(new RegExp(`✘ body digest .*body has ${actual}`))
    expect(result.stdout).toMatch(/· replay +not checked/)
    expect(result.stdout).toContain('INVALID: ERR_BODY_DIGEST_MISMATCH')
  })

  it('says how long ago an expired token expired', async () => {
    const now = Math.floor(Date.now() / 1000)
    const key = await importPKCS8(await readFile(keyFile, 'utf8'), 'RS256')
    const token = await new SignJWT({
      request_body_sha256: createHash('sha256')
        .update(await readFile(bodyFile))
        .digest('hex'),
    })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(URL_)
      .setIssuedAt(now - 3 * 3600 - 300)
      .setExpirationTime(now - 3 * 3600)
      .sign(key)
    const result = await runCli(verifyArgs(token, '--explain', '--max-token-age', '86400'))
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/✔ signature/)
    expect(result.stdout).toMatch(
      /✘ claim exp +expired 3 h ago \(at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)$/m,
    )
  })

  it('names the kids a JWKS file has when the token names another', async () => {
    const result = await runCli(verifyArgs(await signedToken(), '--json'))
    expect(result.code).toBe(0)
    const wrongJwks = join(dir, 'empty-jwks.json')
    await writeFile(wrongJwks, JSON.stringify({ keys: [] }))
    const args = verifyArgs(await signedToken(), '--json')
    args[args.indexOf(jwksFile)] = wrongJwks
    const failed = await runCli(args)
    expect(failed.code).toBe(1)
    const report = JSON.parse(failed.stdout) as {
      valid: boolean
      code: string
      steps: { step: string; status: string; detail: string }[]
    }
    expect(report).toMatchObject({ valid: false, code: 'ERR_KEY_NOT_FOUND' })
    expect(report.steps.find((step) => step.step === 'key found')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('the JWKS file has kids none'),
    })
  })

  async function capture(method: string, body: Buffer): Promise<string> {
    const token = await signedToken()
    const captured = join(dir, `request-${method}.http`)
    await writeFile(
      captured,
      Buffer.concat([
        Buffer.from(
          `${method} /webhooks HTTP/1.1\r\nHost: receiver.test\r\nX-Signature: ${token}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        ),
        body,
      ]),
    )
    return captured
  }

  it('verifies a captured HTTP request file', async () => {
    const captured = await capture('POST', await readFile(bodyFile))
    const result = await runCli([
      'verify',
      '--request',
      captured,
      '--jwks',
      jwksFile,
      '--issuer',
      ISSUER,
      '--audience',
      URL_,
    ])
    expect(result.stdout).toBe('valid\n')
    expect(result.code).toBe(0)
  })

  it('explains a captured request from its own headers, body, method and URL', async () => {
    const captured = await capture('POST', await readFile(bodyFile))
    const result = await runCli(['verify', '--explain', '--request', captured, '--jwks', jwksFile])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`"kid": "${kid}"`)
    expect(result.stdout).toMatch(/✔ alg allowed +RS256 is accepted/)
    expect(result.stdout).toMatch(/✔ issuer known +iss "https:\/\/partner\.test"/)
    expect(result.stdout).toMatch(/✔ key found +the JWKS has kid "/)
    expect(result.stdout).toMatch(/✔ token found +exactly one signature, in the x-signature header/)
    expect(result.stdout).toMatch(/✔ method and URL +htm "POST" and htu ".*" match POST \/webhooks/)
    expect(result.stdout).toContain('note: method POST and URL /webhooks from its request line')
    expect(result.stdout).not.toContain('undefined')
    expect(result.stdout).toMatch(/VALID\n$/)
  })

  it('explains a captured request whose body or method differs from what was signed', async () => {
    const tampered = await capture('POST', Buffer.from('{"type":"invoice.void"}'))
    const body = await runCli(['verify', '--explain', '--request', tampered, '--jwks', jwksFile])
    expect(body.code).toBe(1)
    expect(body.stdout).toMatch(/✘ body digest .*\(23 bytes\)/)
    expect(body.stdout).toContain('INVALID: ERR_BODY_DIGEST_MISMATCH')

    const put = await capture('PUT', await readFile(bodyFile))
    const method = await runCli(['verify', '--explain', '--request', put, '--jwks', jwksFile])
    expect(method.code).toBe(1)
    expect(method.stdout).toMatch(
      /✘ method and URL +the token was signed for another HTTP method: .*htm "POST".* the request is PUT \/webhooks/,
    )
    expect(method.stdout).toContain('INVALID: ERR_METHOD_MISMATCH')
  })

  it('reads a Bearer token from a captured request only with --accept-bearer', async () => {
    const captured = join(dir, 'bearer.http')
    await writeFile(
      captured,
      Buffer.concat([
        Buffer.from(
          `POST /webhooks HTTP/1.1\r\nAuthorization: Bearer ${await signedToken()}\r\n\r\n`,
        ),
        await readFile(bodyFile),
      ]),
    )
    const base = ['verify', '--explain', '--request', captured, '--jwks', jwksFile]
    const refused = await runCli(base)
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain('note: it has an Authorization header: pass --accept-bearer')
    expect(refused.stdout).toContain('INVALID: ERR_SIGNATURE_MISSING')
    const accepted = await runCli([...base, '--accept-bearer'])
    expect(accepted.stdout).toMatch(/✔ token found +exactly one signature, in the Authorization/)
    expect(accepted.code).toBe(0)
  })

  it('escapes hostile header, claims and JWKS values in --explain, --json and plain output', async () => {
    const hostileJwks = join(dir, 'hostile-jwks.json')
    const { keys } = JSON.parse(await readFile(jwksFile, 'utf8')) as { keys: object[] }
    await writeFile(hostileJwks, JSON.stringify({ keys: [{ ...keys[0], kid: HOSTILE }] }))
    const key = await importPKCS8(await readFile(keyFile, 'utf8'), 'RS256')
    const token = await new SignJWT({
      request_body_sha256: createHash('sha256')
        .update(await readFile(bodyFile))
        .digest('hex'),
    })
      .setProtectedHeader({ alg: 'RS256', kid: HOSTILE, typ: 'JWT' })
      .setIssuer(`${ISSUER}/${HOSTILE}`)
      .setAudience(URL_)
      .setIssuedAt()
      .setExpirationTime('2 min')
      .setJti(HOSTILE)
      .sign(key)
    const base = ['verify', '--token', token, '--body', bodyFile, '--jwks', hostileJwks]

    const explained = await runCli([...base, '--explain'])
    expect(explained.code).toBe(0)
    expect(terminalControls(explained.stdout)).toEqual([])
    expect(explained.stdout).toContain('"kid": "\\u001b]0;pwned\\u0007')
    expect(explained.stdout).toMatch(/✔ issuer known +iss ".*\\u202egnp\.exe\\u2066x/)
    expect(explained.stdout).not.toMatch(/^✔ delivered/m)

    const json = await runCli([...base, '--json'])
    expect(terminalControls(json.stdout)).toEqual([])
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, claims: { jti: HOSTILE } })

    const refused = await runCli([...base, '--issuer', ISSUER])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toMatch(/^invalid: ERR_ISSUER_UNKNOWN: /)
    expect(terminalControls(refused.stdout)).toEqual([])
  })

  it('exits 2 for a missing JWKS file, a bad JWKS URL and a missing token', async () => {
    const token = await signedToken()
    const missing = await runCli(['verify', '--token', token, '--jwks', join(dir, 'none.json')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('no such file')
    const badUrl = await runCli(['verify', '--token', token, '--jwks', 'http://exa mple/jwks'])
    expect(badUrl.code).toBe(2)
    expect((await runCli(['verify', '--jwks', jwksFile])).stderr).toContain('exactly one of')
  })
})
