import { execFile } from 'node:child_process'
import {
  lstat,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN_ARGS, runCli } from './run-cli.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hookseal-cli-keys-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('hookseal keygen', () => {
  it.each([
    ['ec', [], 'ES256'],
    ['ed25519', [], 'EdDSA'],
    ['rsa', ['--bits', '2048'], 'RS256'],
  ])(
    'writes a %s private key with mode 0600 and prints its public JWKS',
    async (type, extra, alg) => {
      const out = join(dir, `${type}.pem`)
      const result = await runCli(['keygen', '--type', type, ...extra, '--out', out])
      expect(result.code).toBe(0)
      expect((await stat(out)).mode & 0o777).toBe(0o600)
      expect(await readFile(out, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/)
      const jwks = JSON.parse(result.stdout) as { keys: Record<string, unknown>[] }
      expect(jwks.keys).toHaveLength(1)
      expect(jwks.keys[0]).toMatchObject({ alg, use: 'sig' })
      expect(jwks.keys[0]).not.toHaveProperty('d')
    },
  )

  it('writes a JWK private key that keeps the given kid', async () => {
    const out = join(dir, 'named.json')
    const result = await runCli([
      'keygen',
      '--format',
      'jwk',
      '--kid',
      'k-2026',
      '--out',
      out,
      '--json',
    ])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ jwks: { keys: [{ kid: 'k-2026' }] } })
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({
      kid: 'k-2026',
      d: expect.any(String),
    })
  })

  it('refuses to overwrite a key without --force, and bad options, with exit 2', async () => {
    const out = join(dir, 'once.pem')
    expect((await runCli(['keygen', '--type', 'ec', '--out', out])).code).toBe(0)
    const again = await runCli(['keygen', '--type', 'ec', '--out', out])
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('already exists')
    expect((await runCli(['keygen', '--type', 'dsa', '--out', join(dir, 'x.pem')])).code).toBe(2)
    expect(
      (await runCli(['keygen', '--type', 'rsa', '--bits', '1024', '--out', join(dir, 'y.pem')]))
        .code,
    ).toBe(2)
    expect((await runCli(['keygen'])).stderr).toContain('missing --out')
  })
})

describe('hookseal keygen --force', () => {
  const PEM = /^-----BEGIN PRIVATE KEY-----/

  it('puts the key in a new file: one already open elsewhere never sees it', async () => {
    const folder = await mkdtemp(join(dir, 'force-'))
    const out = join(folder, 'key.pem')
    await writeFile(out, 'old key\n', { mode: 0o644 })
    // A process that opened the old file, as a watcher or backup agent would, keeps reading it.
    const watcher = await open(out, 'r')
    try {
      const result = await runCli(['keygen', '--type', 'ec', '--out', out, '--force'])
      expect(result.code).toBe(0)
      expect(await watcher.readFile('utf8')).toBe('old key\n')
      expect((await watcher.stat()).mode & 0o777).toBe(0o644)
    } finally {
      await watcher.close()
    }
    expect(await readFile(out, 'utf8')).toMatch(PEM)
    expect((await stat(out)).mode & 0o777).toBe(0o600)
    expect(await readdir(folder)).toEqual(['key.pem'])
  })

  it('replaces a symlink at the target instead of writing through it', async () => {
    const folder = await mkdtemp(join(dir, 'link-'))
    const victim = join(folder, 'victim.txt')
    await writeFile(victim, 'untouched\n', { mode: 0o644 })
    const out = join(folder, 'key.pem')
    await symlink(victim, out)
    const result = await runCli(['keygen', '--type', 'ec', '--out', out, '--force'])
    expect(result.code).toBe(0)
    expect((await lstat(out)).isSymbolicLink()).toBe(false)
    expect((await lstat(out)).mode & 0o777).toBe(0o600)
    expect(await readFile(out, 'utf8')).toMatch(PEM)
    expect(await readFile(victim, 'utf8')).toBe('untouched\n')
    expect((await stat(victim)).mode & 0o777).toBe(0o644)
    expect((await readdir(folder)).sort()).toEqual(['key.pem', 'victim.txt'])
  })

  it('without --force, refuses a symlink at the target, dangling or not, and leaves nothing', async () => {
    const folder = await mkdtemp(join(dir, 'dangling-'))
    const out = join(folder, 'key.pem')
    await symlink(join(folder, 'planted.pem'), out)
    const result = await runCli(['keygen', '--type', 'ec', '--out', out])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('already exists; pass --force')
    expect(await readdir(folder)).toEqual(['key.pem'])
    expect((await lstat(out)).isSymbolicLink()).toBe(true)
  })
})

describe('hookseal jwks', () => {
  it('prints the public keys of a directory of key files', async () => {
    const keysDir = await mkdtemp(join(dir, 'set-'))
    await runCli(['keygen', '--type', 'ec', '--out', join(keysDir, 'a.pem')])
    await runCli([
      'keygen',
      '--type',
      'ed25519',
      '--format',
      'jwk',
      '--kid',
      'b',
      '--out',
      join(keysDir, 'b.json'),
    ])
    const result = await runCli(['jwks', keysDir])
    expect(result.code).toBe(0)
    const { keys } = JSON.parse(result.stdout) as { keys: { kid: string; alg: string }[] }
    expect(keys.map((key) => key.alg).sort()).toEqual(['ES256', 'EdDSA'])
    expect(keys.some((key) => key.kid === 'b')).toBe(true)
  })

  it('exits 2 with the reason for a missing or unreadable key file', async () => {
    const missing = await runCli(['jwks', join(dir, 'nope.pem')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('no such file')
    const bad = join(dir, 'bad.pem')
    await writeFile(bad, 'not a key\n')
    const unreadable = await runCli(['jwks', bad])
    expect(unreadable.code).toBe(2)
    expect(unreadable.stderr).toContain('bad key file')
  })
})

describe('hookseal --help', () => {
  it.each(['keygen', 'jwks', 'sign', 'verify', 'listen'])(
    '%s --help shows usage and an example',
    async (name) => {
      const result = await runCli([name, '--help'])
      expect(result.code).toBe(0)
      expect(result.stdout).toContain(`Usage: hookseal ${name}`)
      expect(result.stdout).toContain('Example:')
    },
  )

  it('runs a command through a symlink to the bin, as package managers install it', async () => {
    const bin = fileURLToPath(new URL('../bin/hookseal.js', import.meta.url))
    const link = join(dir, 'hookseal')
    await symlink(bin, link)
    const out = join(dir, 'linked.pem')
    const args = [...BIN_ARGS.slice(0, -1), link, 'keygen', '--type', 'ec', '--out', out]
    const { stdout } = await promisify(execFile)(process.execPath, args, {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
    })
    expect(JSON.parse(stdout)).toMatchObject({ keys: [{ alg: 'ES256' }] })
    expect(await readFile(out, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/)
  })

  it('exits 2 on an unknown command or flag', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2)
    const flag = await runCli(['jwks', '--nope'])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toContain('--nope')
  })
})
