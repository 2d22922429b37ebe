/**
 * `@hookseal/core` as workerd, Deno, Bun and browsers load it: bundled with their export conditions,
 * so that its crypto and HTTP take the WebCrypto and fetch side of the seam. Loaded into this Node
 * process, it runs on Node's own WebCrypto, beside the node:crypto path, on the same machine.
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import type * as core from '@hookseal/core'

type Core = typeof core

export async function loadWebCore(): Promise<Core> {
  const result = await build({
    stdin: { contents: "export * from '@hookseal/core'", resolveDir: import.meta.dirname },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    // No source condition: the built files, as published.
    conditions: ['workerd', 'worker', 'browser'],
    logLevel: 'silent',
  })
  const file = join(await mkdtemp(join(tmpdir(), 'hookseal-web-core-')), 'core.mjs')
  await writeFile(file, result.outputFiles[0]?.text ?? '')
  return (await import(pathToFileURL(file).href)) as Core
}
