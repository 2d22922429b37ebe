import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

/**
 * The installed command, run from the repository: the bin imports `@hookseal/cli`, which the source
 * condition resolves to the TypeScript sources instead of `dist/`.
 */
export const BIN_ARGS = [
  '--import',
  'tsx',
  '--conditions=@hookseal/source',
  'packages/cli/bin/hookseal.js',
]

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Spawns the real `hookseal` bin, as `pnpm hookseal` does, with no colour. */
export function runCli(args: string[], timeoutMs = 15_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...BIN_ARGS, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      timeout: timeoutMs,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
