import { execFile } from 'node:child_process'
import { createHash, createPrivateKey } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { SignJWT } from 'jose'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, spawnListen } from './run-cli.js'
import type { Listener } from './run-cli.js'

// The functions page.evaluate runs in Chromium use the page's globals; this program has no DOM types.
interface PageElement {
  getAttribute(name: string): string | null
  hasAttribute(name: string): boolean
  value?: string
}
declare const document: {
  querySelector(selector: string): PageElement | null
  querySelectorAll(selector: string): { length: number }
  scripts: Iterable<{ src: string }>
  addEventListener(
    type: 'securitypolicyviolation',
    listener: (event: { violatedDirective: string; blockedURI: string }) => void,
  ): void
}
declare const window: { __pwned?: number; __violations?: string[] }
declare const navigator: { clipboard: { readText(): Promise<string> } }

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const ARTIFACTS = join(ROOT, 'test', 'artifacts')
const CHROMIUM = process.env.HOOKSEAL_CHROMIUM ?? '/usr/bin/chromium'
const ISSUER = 'https://partner.test'
const AUDIENCE = 'hookseal-test'
/** Markup that would run if the page ever parsed sender data as HTML. */
const XSS =
  '<img src=x onerror="window.__pwned=1;alert(1)"></script><script>window.__pwned=2</script>'

let dir: string
let key: ReturnType<typeof createPrivateKey>
let kid: string
let browser: Browser
let page: Page
const listeners: Listener[] = []
let receiver: Listener
let fresh: Listener
let small: Listener
const dialogs: string[] = []
const pageErrors: string[] = []

/** Runs `hookseal listen` for the test's sender; killed after the tests. */
async function startListen(extra: string[]): Promise<Listener> {
  const listener = await spawnListen([
    '--issuer',
    ISSUER,
    '--jwks',
    join(dir, 'jwks.json'),
    '--port',
    '0',
    '--audience',
    AUDIENCE,
    ...extra,
  ])
  listeners.push(listener)
  return listener
}

/** A webhook token for `body`, as the test's sender signs it. */
function sign(body: string, extra: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({
    request_body_sha256: createHash('sha256').update(body).digest('hex'),
    ...extra,
  })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('2 min')
    .setJti(crypto.randomUUID())
    .sign(key)
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(5000),
  })
  return { status: response.status, text: await response.text() }
}

/** One column of the page's list, newest first. */
function column(name: string): Promise<string[]> {
  return page.locator(`#requests tbody td.${name}`).allTextContents()
}

async function selectRow(index: number): Promise<void> {
  const row = page.locator('#requests tbody tr').nth(index)
  const id = await row.getAttribute('data-id')
  await row.click()
  await page.waitForFunction(
    (id) =>
      document.querySelector('#requests tr.selected')?.getAttribute('data-id') === id &&
      !document.querySelector('#detail')?.hasAttribute('hidden'),
    id,
  )
  // The detail arrives after the click; its replay URL field is filled last of the actions.
  await page.waitForFunction(() => document.querySelector('#replay-url')?.value !== '')
}

function steps(status: 'pass' | 'fail' | 'skip'): Promise<string[]> {
  return page.locator(`#steps li.${status} .step`).allTextContents()
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install chromium (as .ci/run does)`)
  }
  dir = await mkdtemp(join(tmpdir(), 'hookseal-cli-listen-ui-'))
  const keygen = await runCli(['keygen', '--out', join(dir, 'key.pem')])
  await writeFile(join(dir, 'jwks.json'), keygen.stdout)
  key = createPrivateKey(await readFile(join(dir, 'key.pem')))
  kid = (JSON.parse(keygen.stdout) as { keys: Array<{ kid: string }> }).keys[0]?.kid as string
  ;[receiver, fresh, small, browser] = await Promise.all([
    startListen(['--ui']),
    startListen([]),
    startListen(['--ui', '--ui-history', '2', '--ui-body-limit', '16']),
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Chromium's sandbox cannot start as root, which CI runs as.
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    }),
  ])
  const context = await browser.newContext({
    viewport: { width: 1200, height: 720 },
    permissions: ['clipboard-read', 'clipboard-write'],
  })
  page = await context.newPage()
  page.setDefaultTimeout(10_000)
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  page.on('pageerror', (error) => pageErrors.push(error.message))
  // Any markup that tried to run would be stopped by the policy and reported here.
  await page.addInitScript(() => {
    const seen: string[] = []
    Object.assign(window, { __violations: seen })
    document.addEventListener('securitypolicyviolation', (event) =>
      seen.push(`${event.violatedDirective} ${event.blockedURI}`),
    )
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  for (const { child } of listeners) if (child.exitCode === null) child.kill('SIGKILL')
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('hookseal listen --ui in Chromium', () => {
  const valid = '{"type":"invoice.paid","amount":12345678901234567890}'
  const hostileBody = JSON.stringify({ note: XSS })
  let validToken: string

  it('shows a valid, a tampered, a replayed and a hostile webhook live, each with its verdict', async () => {
    await page.goto(receiver.ui as string)
    await page.locator('#connection.live').waitFor()
    validToken = await sign(valid)
    expect(
      (await post(`${receiver.origin}/webhooks`, valid, { 'x-signature': validToken })).status,
    ).toBe(204)
    const tampered = await post(`${receiver.origin}/webhooks`, valid.replace('12345', '99999'), {
      'x-signature': await sign(valid),
    })
    expect(tampered.status).toBe(401)
    expect(
      (await post(`${receiver.origin}/webhooks`, valid, { 'x-signature': validToken })).status,
    ).toBe(401)
    const hostile = await post(
      `${receiver.origin}/webhooks${encodeURI('?q=<b>x</b>')}`,
      hostileBody,
      {
        'x-signature': await sign(hostileBody, { event: XSS }),
        'x-note': XSS,
      },
    )
    expect(hostile.status).toBe(204)

    await page.waitForFunction(() => document.querySelectorAll('#requests tbody tr').length === 4)
    expect(await column('verdict')).toEqual([
      'valid',
      'ERR_REPLAY',
      'ERR_BODY_DIGEST_MISMATCH',
      'valid',
    ])
    expect(await column('scheme')).toEqual(['jwt', 'jwt', 'jwt', 'jwt'])
    expect(await column('sender')).toEqual([
      ISSUER,
      `${ISSUER} (claimed)`,
      `${ISSUER} (claimed)`,
      ISSUER,
    ])
    expect(await column('status')).toEqual(['204', '401', '401', '204'])
    expect(await column('method')).toEqual(['POST', 'POST', 'POST', 'POST'])
  }, 30_000)

  it('explains a valid webhook: every step passed, claims with local times, headers, the body as sent', async () => {
    await selectRow(3)
    expect(await page.locator('#verdict').textContent()).toBe(
      `valid: POST /webhooks from ${ISSUER} (204)`,
    )
    expect(await steps('fail')).toEqual([])
    expect(await steps('skip')).toEqual([])
    expect(await steps('pass')).toContain('signature')
    const claims = JSON.parse((await page.locator('#claims').textContent()) as string) as {
      exp: number
    }
    const expiry = await page.evaluate((exp) => new Date(exp * 1000).toLocaleString(), claims.exp)
    expect(
      await page.locator('#times tr', { hasText: 'exp' }).locator('td').first().textContent(),
    ).toBe(expiry)
    expect(await page.locator('#headers th').allTextContents()).toContain('x-signature')
    expect(JSON.parse((await page.locator('#token-header').textContent()) as string)).toEqual({
      alg: 'RS256',
      kid,
      typ: 'JWT',
    })
    // Indented without being parsed: the 20-digit amount keeps every digit.
    expect(await page.locator('#body').textContent()).toBe(
      '{\n  "type": "invoice.paid",\n  "amount": 12345678901234567890\n}',
    )
  })

  it('marks the failing step of a tampered and of a replayed webhook with its reason', async () => {
    await selectRow(2)
    expect(await page.locator('#verdict').textContent()).toMatch(
      /^ERR_BODY_DIGEST_MISMATCH \(401\): /,
    )
    expect(await steps('fail')).toEqual(['body digest'])
    expect(await page.locator('#steps li.fail .reason').textContent()).toMatch(
      /signed [0-9a-f]{64}, body has [0-9a-f]{64}/,
    )
    expect(await steps('skip')).toEqual(['method and URL', 'replay'])
    expect(await page.locator('#steps li.pass').count()).toBe(13)

    await selectRow(1)
    expect(await steps('fail')).toEqual(['replay'])
    expect(await page.locator('#steps li.fail .reason').textContent()).toContain('already received')
    expect(await steps('skip')).toEqual([])
  })

  it('shows a hostile body, claim, header and path as text, and no script from them runs', async () => {
    await selectRow(0)
    expect(await page.locator('#body').textContent()).toContain(`"note": ${JSON.stringify(XSS)}`)
    expect(await page.locator('#claims').textContent()).toContain(`"event": ${JSON.stringify(XSS)}`)
    expect(
      await page.locator('#headers tr', { hasText: 'x-note' }).locator('td').textContent(),
    ).toBe(XSS)
    expect((await column('path'))[0]).toBe('/webhooks?q=%3Cb%3Ex%3C/b%3E')
    expect(await page.locator('#verdict').textContent()).toContain('valid')

    expect(await page.evaluate(() => document.querySelectorAll('img, b').length)).toBe(0)
    expect(
      await page.evaluate(() =>
        [...document.scripts].map((script) => new URL(script.src).pathname.split('/').pop()),
      ),
    ).toEqual(['app.js'])
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined()
    expect(await page.evaluate(() => window.__violations)).toEqual([])
    expect(dialogs).toEqual([])
    expect(pageErrors).toEqual([])
  })

  it('copies a curl command that sends the same request: a fresh receiver accepts it, and a tampered one stays refused', async () => {
    const run = promisify(execFile)
    const freshPort = new URL(fresh.origin).port
    const receiverPort = new URL(receiver.origin).port
    const redirect = ` -s -o /dev/null -w '%{http_code}' --connect-to 127.0.0.1:${receiverPort}:127.0.0.1:${freshPort}`

    await selectRow(3)
    await page.locator('#copy-curl').click()
    await page.locator('#action-result', { hasText: 'Copied' }).waitFor()
    const command = await page.evaluate(() => navigator.clipboard.readText())
    expect(command).toBe(await page.locator('#curl').textContent())
    expect(command).toMatch(/^printf '.*' \| curl /)
    expect((await run('sh', ['-c', command + redirect])).stdout).toBe('204')

    await selectRow(2)
    await page.locator('#copy-curl').click()
    await page.locator('#action-result', { hasText: 'Copied' }).waitFor()
    const tampered = await page.evaluate(() => navigator.clipboard.readText())
    const answer = await run('sh', [
      '-c',
      `${tampered} -s --connect-to 127.0.0.1:${receiverPort}:127.0.0.1:${freshPort}`,
    ])
    expect(JSON.parse(answer.stdout)).toMatchObject({ code: 'ERR_BODY_DIGEST_MISMATCH' })
  })

  it('downloads the raw request, which hookseal verify --request accepts', async () => {
    await selectRow(3)
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#download').click(),
    ])
    const file = join(dir, 'captured.http')
    await download.saveAs(file)
    const verified = await runCli([
      'verify',
      '--request',
      file,
      '--jwks',
      join(dir, 'jwks.json'),
      '--issuer',
      ISSUER,
      '--audience',
      AUDIENCE,
    ])
    expect(verified.stdout.trim()).toBe('valid')
    expect(verified.code).toBe(0)
  })

  it('replays to the receiver (refused as a replay), to another loopback URL, and never elsewhere', async () => {
    await selectRow(3)
    await page.locator('#replay-receiver').click()
    await page.locator('#action-result', { hasText: 'Replayed to' }).waitFor()
    expect(await page.locator('#action-result').textContent()).toContain(
      `Replayed to ${receiver.origin}/webhooks: 401 `,
    )
    expect(await page.locator('#action-result').textContent()).toContain('ERR_REPLAY')
    await page.waitForFunction(() => document.querySelectorAll('#requests tbody tr').length === 5)
    expect((await column('verdict'))[0]).toBe('ERR_REPLAY')

    // The hostile webhook, never sent to the fresh receiver before.
    await selectRow(1)
    await page.locator('#replay-url').fill(`${fresh.origin}/webhooks`)
    await page.locator('#replay-to-url').click()
    await page.locator('#action-result', { hasText: 'Replayed to' }).waitFor()
    expect(await page.locator('#action-result').textContent()).toBe(
      `Replayed to ${fresh.origin}/webhooks: 204 `,
    )

    await page.locator('#replay-url').fill('http://192.0.2.1/webhooks')
    await page.locator('#replay-to-url').click()
    await page.locator('#action-result', { hasText: 'Replay refused' }).waitFor()
    expect(await page.locator('#action-result').textContent()).toContain('ERR_UI_REPLAY_TARGET')
  })

  it('saves a screenshot of a refused webhook explained', async () => {
    await selectRow(3)
    await mkdir(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'listen-ui.png') })
    expect(existsSync(join(ARTIFACTS, 'listen-ui.png'))).toBe(true)
  })
})

describe('hookseal listen --ui access and bounds', () => {
  const routes = ['', 'app.js', 'style.css', 'events', 'api/requests/1', 'api/requests/1/raw']

  it('answers every route, the event stream and the assets included, only with the token', async () => {
    const ui = new URL(receiver.ui as string)
    const token = ui.pathname.split('/')[1] as string
    const wrong = token.replace(/^./, token.startsWith('A') ? 'B' : 'A')
    for (const route of routes) {
      for (const prefix of ['', `${wrong}/`, `${token.slice(0, -1)}/`]) {
        const response = await fetch(`${ui.origin}/${prefix}${route}`, {
          signal: AbortSignal.timeout(5000),
        })
        expect([route, prefix, response.status]).toEqual([route, prefix, 403])
        expect(await response.json()).toMatchObject({ code: 'ERR_UI_TOKEN_INVALID' })
      }
    }
    const replay = await fetch(`${ui.origin}/${wrong}/api/requests/1/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(5000),
    })
    expect(replay.status).toBe(403)
    const page = await fetch(ui, { signal: AbortSignal.timeout(5000) })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; script-src 'self'; style-src 'self';/,
    )
    expect(await page.text()).not.toMatch(/<script>|<style>| on\w+=/)
  })

  it('keeps the last --ui-history requests and at most --ui-body-limit bytes of a body', async () => {
    const ui = small.ui as string
    const bodies = [
      '{"n":1,"pad":"................"}',
      '{"n":2,"pad":"................"}',
      '{"n":3}',
    ]
    for (const body of bodies) {
      expect((await post(`${small.origin}/hook`, body, {})).status).toBe(401)
    }
    const get = (path: string) => fetch(`${ui}${path}`, { signal: AbortSignal.timeout(5000) })
    expect((await get('api/requests/1')).status).toBe(404)
    const second = (await (await get('api/requests/2')).json()) as Record<string, unknown>
    expect(second).toMatchObject({ truncated: true, bodyBytes: 32, keptBytes: 16 })
    expect(second.body).toMatchObject({ text: '{"n":2,"pad":"..' })
    expect(second.curl).toMatchObject({
      unavailable: expect.stringContaining('first 16 of its 32'),
    })
    const raw = await get('api/requests/2/raw')
    expect(raw.status).toBe(409)
    expect(await raw.json()).toMatchObject({ code: 'ERR_UI_NOT_REPRODUCIBLE' })
    expect(await (await get('api/requests/3')).json()).toMatchObject({
      truncated: false,
      keptBytes: 7,
    })
  })
})
