/**
 * Starts the receiver of `fetch-app.ts` on each runtime, each listening on 127.0.0.1 for the Node
 * test process to drive: Node (Hono on @hono/node-server, in process), Bun and Deno (their binaries
 * from the npm registry, as child processes), and workerd (through Miniflare).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve } from '@hono/node-server'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { createFetchApp } from './fetch-app.js'
import type { RuntimeConfig } from './fetch-app.js'

export interface RuntimeServer {
  readonly url: string
  close(): Promise<void>
}

export interface Runtime {
  readonly name: string
  /** Why the runtime cannot run here, or undefined when it can. */
  readonly missing: () => string | undefined
  start(config: RuntimeConfig): Promise<RuntimeServer>
}

const here = fileURLToPath(new URL('.', import.meta.url))
const load = createRequire(import.meta.url)

function binary(packageFile: string): string | undefined {
  try {
    return load.resolve(packageFile)
  } catch {
    return undefined
  }
}

const BUN = '@oven/bun-linux-x64/bin/bun'
const DENO = '@deno/linux-x64-glibc/deno'

/**
 * Bundles an entry for a runtime with that runtime's export conditions, as a user's bundler or the
 * runtime itself would resolve the packages; workspace packages resolve to their sources.
 */
async function bundle(entry: string, conditions: string[]): Promise<string> {
  const result = await build({
    entryPoints: [join(here, entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['@hookseal/source', ...conditions],
    logLevel: 'silent',
  })
  return result.outputFiles[0]?.text ?? ''
}

/** Runs a bundled server with a runtime binary until it prints `listening <port>`. */
async function startProcess(
  command: string,
  args: (script: string) => string[],
  entry: string,
  conditions: string[],
  config: RuntimeConfig,
): Promise<RuntimeServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hookseal-runtime-'))
  const script = join(dir, 'server.mjs')
  await writeFile(script, await bundle(entry, conditions))
  const child = spawn(command, args(script), {
    env: { ...process.env, HOOKSEAL_RUNTIME_CONFIG: JSON.stringify(config), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening (\d+)/.exec(output)
      if (match) resolve(Number(match[1]))
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => reject(new Error(`${command} exited (${code}): ${output}`)))
    child.once('error', reject)
  })
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill()
      await exited
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export const runtimes: Runtime[] = [
  {
    name: 'node (hono on @hono/node-server)',
    missing: () => undefined,
    async start(config) {
      const app = createFetchApp(config)
      const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
        const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () =>
          resolve(started),
        )
      })
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      return {
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((resolve, reject) => {
            server.close((error) => (error ? reject(error) : resolve()))
          }),
      }
    },
  },
  {
    name: 'bun',
    missing: () => (binary(BUN) === undefined ? `${BUN} is not installed` : undefined),
    start: (config) =>
      startProcess(
        binary(BUN) as string,
        (script) => ['run', script],
        'bun-server.ts',
        ['bun'],
        config,
      ),
  },
  {
    name: 'deno',
    missing: () => (binary(DENO) === undefined ? `${DENO} is not installed` : undefined),
    start: (config) =>
      startProcess(
        binary(DENO) as string,
        (script) => ['run', '--quiet', '--no-prompt', '--allow-net', '--allow-env', script],
        'deno-server.ts',
        ['deno'],
        config,
      ),
  },
  {
    name: 'workerd (miniflare)',
    missing: () => undefined,
    async start(config) {
      const mf = new Miniflare({
        modules: true,
        script: await bundle('worker.ts', ['workerd', 'worker', 'browser']),
        compatibilityDate: '2025-09-01',
        compatibilityFlags: ['nodejs_compat'],
        bindings: { CONFIG: JSON.stringify(config) },
        host: '127.0.0.1',
        port: 0,
      })
      const url = await mf.ready
      return { url: url.origin, close: () => mf.dispose() }
    },
  },
]
