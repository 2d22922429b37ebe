import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))

/** Every TypeScript and JavaScript file git tracks or would track, outside node_modules. */
function sourceFiles(): string[] {
  const listed = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.js', '*.mjs'],
    { cwd: ROOT, encoding: 'utf8' },
  )
  return listed.split('\n').filter((path) => path !== '' && !path.includes('node_modules/'))
}

/** Relative paths a file resolves against its own location: `new URL('…', import.meta.url)`. */
const URL_RELATIVE = /new URL\(\s*['`]((?:\.\.?\/)[^'`]*)['`]\s*,\s*import\.meta\.url\s*\)/g

describe('the repository is self-contained', () => {
  it('has no file that resolves a path outside the repository', () => {
    const outside: string[] = []
    for (const path of sourceFiles()) {
      const text = readFileSync(resolve(ROOT, path), 'utf8')
      for (const match of text.matchAll(URL_RELATIVE)) {
        const target = resolve(dirname(resolve(ROOT, path)), match[1]!)
        if (relative(ROOT, target).startsWith('..')) outside.push(`${path}: ${match[1]}`)
      }
    }
    expect(outside).toEqual([])
  })

  it('names no sibling shared folder anywhere', () => {
    const named = sourceFiles().filter((path) =>
      /(\.\.\/)+shared\//.test(readFileSync(resolve(ROOT, path), 'utf8')),
    )
    expect(named).toEqual([])
  })
})
