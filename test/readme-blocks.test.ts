import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
// Inside the repository, so that the blocks resolve the workspace packages (and their sources,
// through the `@hookseal/source` condition) exactly as the rest of the suite does.
const BLOCKS_DIR = join(ROOT, 'test', '.readme-blocks')
const FRAGMENT = '<!-- fragment -->'

/** A TypeScript code block of a README, and where it sits there. */
interface Block {
  readme: string
  /** 1-based line of the opening fence in the README. */
  fenceLine: number
  code: string
  fragment: boolean
}

/** The READMEs users read: the repository's and every package's. */
function readmes(): string[] {
  const packages = readdirSync(join(ROOT, 'packages'))
    .map((name) => `packages/${name}/README.md`)
    .filter((path) => existsSync(join(ROOT, path)))
  return ['README.md', ...packages.sort()]
}

/**
 * Every ```ts block of a README, dedented to its fence. A block is a fragment when the last
 * non-blank line before its fence is `<!-- fragment -->` (Prettier puts a blank line between them).
 */
function tsBlocks(readme: string): Block[] {
  const lines = readFileSync(join(ROOT, readme), 'utf8').split('\n')
  const blocks: Block[] = []
  for (let at = 0; at < lines.length; at++) {
    const open = /^( *)```(?:ts|typescript)\s*$/.exec(lines[at]!)
    if (open === null) continue
    const indent = open[1]!.length
    let end = at + 1
    while (end < lines.length && !/^ *```\s*$/.test(lines[end]!)) end++
    let before = at - 1
    while (before >= 0 && lines[before]!.trim() === '') before--
    blocks.push({
      readme,
      fenceLine: at + 1,
      code: lines
        .slice(at + 1, end)
        .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
        .join('\n'),
      fragment: before >= 0 && lines[before]!.trim() === FRAGMENT,
    })
    at = end
  }
  return blocks
}

/** The module file a block is written to. */
function fileName(block: Block): string {
  return `${block.readme.replace(/\.md$/, '').replaceAll('/', '-')}-L${block.fenceLine}.ts`
}

/** Runs tsc once over every written block; resolves with its diagnostics, one entry each. */
async function typeCheck(config: string): Promise<string[]> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const output = await new Promise<string>((done) => {
    execFile(
      process.execPath,
      [tsc, '-p', config, '--pretty', 'false'],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      // tsc exits non-zero when it reports errors: its output is the verdict either way.
      (_error, stdout, stderr) => done(`${stdout}${stderr}`),
    )
  })
  const diagnostics: string[] = []
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue
    // Message chains continue on indented lines.
    if (/^\s/.test(line) && diagnostics.length > 0)
      diagnostics[diagnostics.length - 1] += `\n${line}`
    else diagnostics.push(line)
  }
  return diagnostics
}

/** Names the README and its line in a diagnostic about a block's file. */
function inReadme(diagnostic: string, byFile: Map<string, Block>): string {
  const at = /^(.+?)\((\d+),(\d+)\): (.*)$/s.exec(diagnostic)
  const block = at === null ? undefined : byFile.get(relative(BLOCKS_DIR, join(ROOT, at[1]!)))
  if (at === null || block === undefined) return diagnostic
  return `${block.readme}:${block.fenceLine + Number(at[2])}:${at[3]} (block at line ${block.fenceLine}): ${at[4]}`
}

describe('README code blocks', () => {
  const blocks = readmes().flatMap(tsBlocks)
  const checked = blocks.filter((block) => !block.fragment)

  afterAll(() => rmSync(BLOCKS_DIR, { recursive: true, force: true }))

  it('finds blocks in the READMEs, and few marked as fragments', () => {
    expect(checked.length).toBeGreaterThan(20)
    expect(blocks.length - checked.length).toBeLessThanOrEqual(3)
  })

  it(
    'type-checks every TypeScript block as a module of its own',
    { timeout: 120_000 },
    async () => {
      rmSync(BLOCKS_DIR, { recursive: true, force: true })
      mkdirSync(BLOCKS_DIR, { recursive: true })
      const byFile = new Map(checked.map((block) => [fileName(block), block]))
      for (const [file, block] of byFile) {
        // A block with no import or export would be a script sharing one global scope with the rest.
        writeFileSync(join(BLOCKS_DIR, file), `${block.code}\nexport {}\n`)
      }
      const config = join(BLOCKS_DIR, 'tsconfig.json')
      writeFileSync(
        config,
        JSON.stringify({
          extends: '../../tsconfig.base.json',
          compilerOptions: { noEmit: true, declaration: false, sourceMap: false },
          include: ['*.ts'],
        }),
      )
      const diagnostics = await typeCheck(config)
      expect(diagnostics.map((diagnostic) => inReadme(diagnostic, byFile))).toEqual([])
    },
  )
})
