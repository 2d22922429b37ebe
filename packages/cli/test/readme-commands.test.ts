import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import * as deliveries from '../src/commands/deliveries.js'
import * as connect from '../src/commands/connect.js'
import * as jwks from '../src/commands/jwks.js'
import * as keygen from '../src/commands/keygen.js'
import * as listen from '../src/commands/listen.js'
import * as send from '../src/commands/send.js'
import * as sign from '../src/commands/sign.js'
import * as verify from '../src/commands/verify.js'

const HELP: Readonly<Record<string, string>> = {
  deliveries: deliveries.help,
  connect: connect.help,
  jwks: jwks.help,
  keygen: keygen.help,
  listen: listen.help,
  send: send.help,
  sign: sign.help,
  verify: verify.help,
}

const READMES = ['../../../README.md', '../README.md']

/** The `hookseal …` command lines of a README's sh blocks, continuation lines joined. */
function commandLines(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '')
  return blocks
    .flatMap((block) => block.replace(/\\\n\s*/g, '').split('\n'))
    .map((line) => line.replace(/^(npx @hookseal\/cli|pnpm -s hookseal) /, 'hookseal '))
    .filter((line) => line.startsWith('hookseal '))
}

describe('the READMEs', () => {
  it.each(READMES)('%s shows only commands and flags the CLI has', async (path) => {
    const lines = commandLines(await readFile(new URL(path, import.meta.url), 'utf8'))
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) {
      const [, name = '', ...words] = line.split(/\s+/)
      if (name === '<command>') continue
      const help = HELP[name]
      expect(help, line).toBeDefined()
      for (const flag of words.filter((word) => word.startsWith('--'))) {
        expect(help, line).toContain(`${flag} `)
      }
    }
  })
})
