/**
 * Installs hookseal as a user does: packs every package, installs the tarballs with npm into fresh
 * apps in a temporary folder outside the workspace, type-checks the TypeScript ones under NodeNext
 * and bundler resolution, starts each with its README example, and sends it webhooks over loopback.
 * Then runs the installed `hookseal` bin. Needs the npm registry for the frameworks.
 */
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { forLoopback, readmeExample } from './readme-example.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const README = new URL('../../README.md', import.meta.url)
const PACKAGES = ['core', 'express', 'koa', 'fastify', 'fetch', 'redis', 'bullmq', 'cli'] as const
type PackageDir = (typeof PACKAGES)[number]

const ISSUER = 'https://partner.example'
const URL_SIGNED = 'https://api.example.com/webhooks'

interface App {
  readonly name: string
  readonly dependencies: Record<string, string>
  readonly hookseal: readonly PackageDir[]
  /** The README example and the file it becomes. */
  readonly example: string
  readonly file: 'app.ts' | 'app.cjs'
}

const TYPESCRIPT = { typescript: '~5.9.3', '@types/node': '^20.19.0' }
const APPS: readonly App[] = [
  {
    name: 'express5-esm-ts',
    hookseal: ['core', 'express', 'fetch', 'redis', 'bullmq', 'cli'],
    dependencies: { express: '^5.1.0', '@types/express': '^5.0.0', ...TYPESCRIPT },
    example: 'express-esm',
    file: 'app.ts',
  },
  {
    name: 'express4-cjs-js',
    hookseal: ['core', 'express'],
    dependencies: { express: '^4.21.0' },
    example: 'express-cjs',
    file: 'app.cjs',
  },
  {
    name: 'koa3-esm-ts',
    hookseal: ['core', 'koa'],
    dependencies: {
      koa: '^3.0.0',
      '@koa/router': '^15.0.0',
      '@koa/bodyparser': '^6.0.0',
      '@types/koa': '^3.0.0',
      '@types/koa__router': '^15.0.0',
      ...TYPESCRIPT,
    },
    example: 'koa',
    file: 'app.ts',
  },
  {
    name: 'fastify5-esm-ts',
    hookseal: ['core', 'fastify'],
    dependencies: { fastify: '^5.0.0', ...TYPESCRIPT },
    example: 'fastify',
    file: 'app.ts',
  },
]

/** Every entry point a user can import, loaded at run time and type-checked in one app. */
const ENTRY_POINTS = [
  '@hookseal/core',
  '@hookseal/core/send',
  '@hookseal/core/http',
  '@hookseal/core/testing',
  '@hookseal/express',
  '@hookseal/fetch',
  '@hookseal/redis',
  '@hookseal/bullmq',
  '@hookseal/cli',
]

let work: string
let tarballs: Record<PackageDir, string>
/** Each TypeScript app's NodeNext build: '' when clean, else tsc's diagnostics. */
const compiled = new Map<string, string>()
let jwksServer: Server
let jwksUri: string

function appDir(app: App): string {
  return join(work, app.name)
}

function bin(name: string): string {
  return join(appDir(APPS[0]!), 'node_modules', '.bin', name)
}

async function hookseal(
  args: string[],
  cwd = work,
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(bin('hookseal'), args, { cwd, timeout: 30_000 })
    return { stdout, stderr, code: 0 }
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number }
    return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', code: failed.code ?? -1 }
  }
}

/** Writes `body` to `file` and signs it for the README receivers with the installed bin. */
async function signWithCli(file: string, body: string): Promise<Record<string, string>> {
  writeFileSync(join(work, file), body)
  const signed = await hookseal([
    'sign',
    '--key',
    'key.pem',
    '--issuer',
    ISSUER,
    '--url',
    URL_SIGNED,
    '--body',
    file,
    '--json',
  ])
  expect(signed.code, signed.stderr).toBe(0)
  return JSON.parse(signed.stdout) as Record<string, string>
}

function listFiles(tarball: string): Promise<string[]> {
  return run('tar', ['-tzf', tarball]).then(({ stdout }) =>
    stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.replace(/^package\//, '')),
  )
}

function manifestOf(tarball: string): Promise<Record<string, unknown>> {
  return run('tar', ['-xzOf', tarball, 'package/package.json']).then(
    ({ stdout }) => JSON.parse(stdout) as Record<string, unknown>,
  )
}

/** Every file path an `exports` or `bin` entry names, however deeply nested. */
function targetsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value.replace(/^\.\//, '')]
  if (typeof value !== 'object' || value === null) return []
  return Object.values(value).flatMap(targetsOf)
}

function writeApp(app: App): void {
  const dir = appDir(app)
  mkdirSync(dir, { recursive: true })
  const hooksealDeps = Object.fromEntries(
    app.hookseal.map((name) => [`@hookseal/${name}`, `file:${tarballs[name]}`]),
  )
  const typescript = app.file === 'app.ts'
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: app.name,
        private: true,
        type: typescript ? 'module' : 'commonjs',
        dependencies: { ...hooksealDeps, ...app.dependencies },
        // The packages depend on each other by version; these make npm use the tarballs for that too.
        overrides: Object.fromEntries(
          app.hookseal.map((name) => [`@hookseal/${name}`, `$@hookseal/${name}`]),
        ),
      },
      null,
      2,
    ),
  )
  writeFileSync(join(dir, app.file), forLoopback(readmeExample(README, app.example), typescript))
  if (!typescript) return
  const compilerOptions = {
    target: 'ES2022',
    strict: true,
    skipLibCheck: false,
    types: ['node'],
    outDir: 'out',
  }
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { ...compilerOptions, module: 'NodeNext', moduleResolution: 'NodeNext' },
      include: ['*.ts'],
    }),
  )
  writeFileSync(
    join(dir, 'tsconfig.bundler.json'),
    JSON.stringify({
      // Declarations were checked whole by the NodeNext build; this checks resolution and use.
      compilerOptions: {
        ...compilerOptions,
        module: 'ESNext',
        moduleResolution: 'bundler',
        noEmit: true,
        skipLibCheck: true,
      },
      include: ['*.ts'],
    }),
  )
  if (app.hookseal.includes('bullmq')) {
    writeFileSync(
      join(dir, 'imports.ts'),
      ENTRY_POINTS.map((entry, index) => `import * as entry${index} from '${entry}'`).join('\n') +
        `\nexport const entries = [${ENTRY_POINTS.map((_, index) => `entry${index}`).join(', ')}]\n`,
    )
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hookseal-packaging-'))
  const packed = join(work, 'tarballs')
  mkdirSync(packed)
  tarballs = {} as Record<PackageDir, string>
  // One at a time: each pack builds its package (prepack), and a dependent builds against the
  // declarations of what was packed before it.
  for (const name of PACKAGES) {
    const before = new Set(readdirSync(packed))
    await run('pnpm', ['pack', '--pack-destination', packed], {
      cwd: join(ROOT, 'packages', name),
      timeout: 180_000,
    })
    const tarball = readdirSync(packed).find((file) => !before.has(file))
    if (tarball === undefined) throw new Error(`pnpm pack wrote no tarball for ${name}`)
    tarballs[name] = join(packed, tarball)
  }
  console.log(
    PACKAGES.map(
      (name) => `@hookseal/${name}: ${(statSync(tarballs[name]).size / 1024).toFixed(1)} KiB`,
    ).join('\n'),
  )
  for (const app of APPS) writeApp(app)
  await Promise.all(
    APPS.map((app) =>
      run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: appDir(app),
        timeout: 300_000,
      }),
    ),
  )

  await Promise.all(
    APPS.filter((app) => app.file === 'app.ts').map(async (app) => {
      const tsc = join(appDir(app), 'node_modules', '.bin', 'tsc')
      const outcome = await run(tsc, ['-p', 'tsconfig.json'], { cwd: appDir(app) }).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      )
      compiled.set(app.name, outcome)
    }),
  )

  let jwks = ''
  jwksServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' })
    res.end(jwks)
  })
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))
  jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`
  const keygen = await hookseal(['keygen', '--out', 'key.pem'])
  expect(keygen.code, keygen.stderr).toBe(0)
  jwks = keygen.stdout
})

afterAll(async () => {
  await new Promise<void>((resolve) => (jwksServer ? jwksServer.close(() => resolve()) : resolve()))
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

describe('the packed tarballs', () => {
  it.each(PACKAGES)('@hookseal/%s holds dist, README and LICENSE, and no sources', async (name) => {
    const files = await listFiles(tarballs[name])
    expect(files).toContain('README.md')
    expect(files).toContain('LICENSE')
    expect(files).toContain('package.json')
    expect(files.some((file) => file.startsWith('dist/') && file.endsWith('.js'))).toBe(true)
    expect(files.some((file) => file.startsWith('dist/') && file.endsWith('.d.ts'))).toBe(true)
    expect(files.filter((file) => file.startsWith('src/') || file.endsWith('.map'))).toEqual([])
  })

  it.each(PACKAGES)(
    '@hookseal/%s exports only files it holds, for import and types',
    async (name) => {
      const files = new Set(await listFiles(tarballs[name]))
      const manifest = await manifestOf(tarballs[name])
      expect(JSON.stringify(manifest.exports)).not.toContain('@hookseal/source')
      expect(JSON.stringify(manifest.imports ?? {})).not.toContain('@hookseal/source')
      expect(JSON.stringify(manifest.dependencies ?? {})).not.toContain('workspace:')
      for (const target of [...targetsOf(manifest.exports), ...targetsOf(manifest.bin)]) {
        expect(files, `${name}: ${target}`).toContain(target)
      }
      const entries = manifest.exports as Record<string, { types?: string; default?: string }>
      for (const entry of Object.values(entries)) {
        expect(entry.types).toMatch(/\.d\.ts$/)
        expect(entry.default).toMatch(/\.js$/)
      }
    },
  )
})

describe.each(APPS.filter((app) => app.file === 'app.ts'))('$name', (app) => {
  it('type-checks the README example under NodeNext and bundler resolution', async () => {
    // The NodeNext build ran once, for all apps, before the tests: its diagnostics are kept.
    expect(compiled.get(app.name)).toBe('')
    const tsc = join(appDir(app), 'node_modules', '.bin', 'tsc')
    await expect(
      run(tsc, ['-p', 'tsconfig.bundler.json'], { cwd: appDir(app) }),
    ).resolves.toBeDefined()
  })
})

describe('every entry point', () => {
  it.each(ENTRY_POINTS)('%s loads from the installed package', async (entry) => {
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import('${entry}'); console.log(Object.keys(m).length)`,
      ],
      { cwd: appDir(APPS[0]!) },
    )
    expect(Number(stdout.trim())).toBeGreaterThan(0)
  })
})

describe.each(APPS)('$name runs its README example', (app) => {
  let server: ChildProcess | undefined
  let port: number
  let output = ''

  beforeAll(async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    port = (probe.address() as AddressInfo).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const entry = app.file === 'app.ts' ? join('out', 'app.js') : app.file
    server = spawn(process.execPath, [entry], {
      cwd: appDir(app),
      env: { ...process.env, PORT: String(port), JWKS_URI: jwksUri },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    for (let tries = 0; ; tries++) {
      const up = await fetch(`http://127.0.0.1:${port}/`).then(
        () => true,
        () => false,
      )
      if (up) break
      if (tries > 200 || server.exitCode !== null)
        throw new Error(`the app did not start:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })

  afterAll(() => {
    server?.kill()
  })

  function signedHeaders(body: string): Promise<Record<string, string>> {
    return signWithCli(`${app.name}.json`, body)
  }

  function post(headers: Record<string, string>, body: string): Promise<Response> {
    return fetch(`http://127.0.0.1:${port}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    })
  }

  it('accepts a signed webhook, refuses a tampered and an unsigned one with 401', async () => {
    const body = JSON.stringify({ type: 'invoice.paid', invoice: `in_${app.name}` })
    const accepted = await post(await signedHeaders(body), body)
    expect(accepted.status, output).toBeGreaterThanOrEqual(200)
    expect(accepted.status, output).toBeLessThan(300)

    const tampered = await post(await signedHeaders(body), body.replace('paid', 'void'))
    expect(tampered.status).toBe(401)
    expect(((await tampered.json()) as { code: string }).code).toBe('ERR_BODY_DIGEST_MISMATCH')

    const unsigned = await post({}, body)
    expect(unsigned.status).toBe(401)
    expect(unsigned.headers.get('content-type')).toBe('application/problem+json')
    expect(((await unsigned.json()) as { code: string }).code).toBe('ERR_SIGNATURE_MISSING')
  })
})

describe('the installed hookseal command', () => {
  it('prints its usage with --help', async () => {
    const help = await hookseal(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/Usage: hookseal/)
    expect(help.stdout).toMatch(/keygen/)
  })

  it('writes a private key with keygen and prints its public JWKS', async () => {
    const made = await hookseal(['keygen', '--out', 'other-key.pem'])
    expect(made.code, made.stderr).toBe(0)
    expect(readFileSync(join(work, 'other-key.pem'), 'utf8')).toMatch(/BEGIN PRIVATE KEY/)
    const jwks = JSON.parse(made.stdout) as {
      keys: Array<{ kty: string; alg: string; d?: string }>
    }
    expect(jwks.keys).toMatchObject([{ kty: 'RSA', alg: 'RS256' }])
    expect(jwks.keys[0]?.d).toBeUndefined()
  })

  it('verifies what it signed, and refuses it for another body', async () => {
    writeFileSync(join(work, 'other.json'), '{"type":"pong"}')
    const token = (await signWithCli('event.json', '{"type":"ping"}'))['x-signature']!
    const common = ['--token', token, '--jwks', jwksUri, '--allow-insecure-http', '--alg', 'RS256']
    const valid = await hookseal(['verify', ...common, '--body', 'event.json'])
    expect(valid.code, valid.stdout + valid.stderr).toBe(0)
    expect(valid.stdout).toMatch(/^valid/i)
    const invalid = await hookseal(['verify', ...common, '--body', 'other.json'])
    expect(invalid.code).toBe(1)
    expect(invalid.stdout).toMatch(/ERR_BODY_DIGEST_MISMATCH/)
  })
})
