/**
 * `@hookseal/fetch` and every part of core it uses must load where no Node built-in exists: bundled
 * for a browser-like target, any import of one (`node:crypto`, `http`, …) fails the build. The same
 * entry bundled for Node must take the Node path of core's seam, and every other runtime the web one.
 */
import { builtinModules } from 'node:module'
import { build } from 'esbuild'
import type { Plugin } from 'esbuild'
import { describe, expect, it } from 'vitest'

const ENTRY = `
export * from '@hookseal/fetch'
export * from '@hookseal/fetch/hono'
export {
  createVerifier,
  createRemoteKeySet,
  createPlaidKeySource,
  createMemoryReplayStore,
  WebhookError,
} from '@hookseal/core'
`

const BUILTIN = new RegExp(
  `^(node:.*|${builtinModules.map((name) => name.replace(/[/]/g, '\\/')).join('|')})$`,
)

/**
 * Fails the build on any import of a Node built-in, saying who imported it; with `allowThirdParty`,
 * lets dependencies' imports through as external, and records them.
 */
function refuseNodeBuiltins(allowThirdParty: boolean, seen: string[]): Plugin {
  return {
    name: 'refuse-node-builtins',
    setup(builder) {
      builder.onResolve({ filter: BUILTIN }, ({ path, importer }) => {
        if (allowThirdParty && importer.includes('/node_modules/')) {
          seen.push(path)
          return { path, external: true }
        }
        return { errors: [{ text: `${importer} imports the Node built-in ${path}` }] }
      })
    },
  }
}

async function bundle(
  platform: 'browser' | 'node' | 'neutral',
  conditions: string[],
  thirdPartyBuiltins: string[] = [],
) {
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: import.meta.dirname, loader: 'ts' },
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform,
    conditions: ['@hookseal/source', ...conditions],
    plugins:
      platform === 'node' ? [] : [refuseNodeBuiltins(platform === 'neutral', thirdPartyBuiltins)],
    logLevel: 'silent',
  })
  return Object.keys(result.metafile.inputs)
}

function seamOf(inputs: string[]): string[] {
  return inputs
    .map((input) => /packages\/core\/src\/runtime\/(\w+)\//.exec(input)?.[1])
    .filter((side): side is string => side !== undefined)
    .filter((side, index, all) => all.indexOf(side) === index)
}

describe('bundling @hookseal/fetch', () => {
  it('imports no Node built-in for a browser-like target', async () => {
    const inputs = await bundle('browser', [])
    expect(seamOf(inputs)).toEqual(['web'])
  })

  it.each([['workerd'], ['deno'], ['bun']])(
    'takes the WebCrypto and fetch path on %s, where no hookseal code imports a Node built-in',
    async (runtime) => {
      const thirdParty: string[] = []
      expect(seamOf(await bundle('neutral', [runtime], thirdParty))).toEqual(['web'])
      // lru-cache's server build reports through diagnostics_channel, which all three provide.
      expect([...new Set(thirdParty)]).toEqual(['node:diagnostics_channel'])
    },
  )

  it('keeps node:crypto and node:https on Node', async () => {
    expect(seamOf(await bundle('node', ['node']))).toEqual(['node'])
  })
})
