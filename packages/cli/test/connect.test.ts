import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOidcServer } from '@hookseal/test-support/oidc-server'
import type { OidcServer } from '@hookseal/test-support/oidc-server'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { BIN_ARGS, runCli } from './run-cli.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

let server: OidcServer
let redirectUri: string

/** A loopback port nothing listens on yet, for the redirect URI registered with the server. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

beforeAll(async () => {
  redirectUri = `http://127.0.0.1:${await freePort()}/callback`
  server = await startOidcServer({ redirectUris: [redirectUri] })
})
afterAll(() => server.close())

/** Runs `hookseal connect` and plays the super-user with the URL it prints. */
async function connect(extra: string[], onUrl: (url: URL) => Promise<void>) {
  const child = spawn(
    process.execPath,
    [
      ...BIN_ARGS,
      'connect',
      '--issuer',
      server.issuer,
      '--client-id',
      server.clientId,
      '--redirect-uri',
      redirectUri,
      '--scope',
      'openid offline_access tenant',
      '--param',
      'prompt=consent',
      '--customer',
      'acme',
      '--allow-insecure-http',
      ...extra,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', HOOKSEAL_CLIENT_SECRET: server.clientSecret },
      timeout: 30_000,
    },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve))
  await waitUntil(() => /waiting for the callback/.test(stderr), 'the URL', 15_000)
  await onUrl(new URL(/^(http\S+)$/m.exec(stdout)![1]!))
  return { code: await exit, stdout, stderr }
}

// Each case starts the CLI through tsx, which alone takes seconds on a busy machine.
describe('hookseal connect', { timeout: 60_000 }, () => {
  it('runs the whole authorization and prints the claims, never a token', async () => {
    const { code, stdout } = await connect(['--json'], async (url) => {
      expect(url.searchParams.get('code_challenge_method')).toBe('S256')
      const callback = await server.authorize(url, 'acme-admin')
      const page = await fetch(callback)
      expect(page.status).toBe(200)
    })
    expect(code).toBe(0)
    const printed = JSON.parse(stdout.slice(stdout.indexOf('{'))) as Record<string, unknown>
    expect(printed).toMatchObject({
      connected: true,
      customer: 'acme',
      claims: { sub: 'acme-admin', tenant: 'tenant-of-acme-admin', partner: 'mercurygate' },
    })
    const tokens = ['AccessToken', 'RefreshToken', 'AuthorizationCode'].flatMap((model) => [
      ...server.entries(model).keys(),
    ])
    expect(tokens.length).toBeGreaterThan(0)
    for (const token of tokens) expect(stdout).not.toContain(token)
  })

  it('fails with the refusal when the server answers with an error', async () => {
    const { code, stdout } = await connect([], async (url) => {
      const denied = new URL(redirectUri)
      denied.searchParams.set('state', url.searchParams.get('state')!)
      denied.searchParams.set('error', 'access_denied')
      denied.searchParams.set('iss', server.issuer)
      expect((await fetch(denied)).status).toBe(400)
    })
    expect(code).toBe(1)
    expect(stdout).toContain('ERR_CONNECTION_DENIED')
  })

  it('refuses a redirect URI it cannot listen on', async () => {
    const result = await runCli([
      'connect',
      '--issuer',
      server.issuer,
      '--client-id',
      'x',
      '--redirect-uri',
      'https://app.example/callback',
    ])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--redirect-uri must be http://127.0.0.1')
  })
})
