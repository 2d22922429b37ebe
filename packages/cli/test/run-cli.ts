import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
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

/**
 * A value a hostile sender or receiver might send: terminal title and clipboard (OSC 52)
 * sequences, a CR and a newline that forge a "delivered" line, a C1 CSI, bidi overrides and DEL.
 */
export const HOSTILE =
  '\u001b]0;pwned\u0007\u001b]52;c;cm0gLXJmIH4=\u0007\r✔ delivered: 204\n\u009b31m' +
  '\u202egnp.exe\u2066x\u2069\u200f\u061c\u007f'

/** The characters of `text` that a terminal would act on rather than show. */
export function terminalControls(text: string): string[] {
  return [...text].filter((char) => {
    const code = char.codePointAt(0) as number
    return (
      (code < 0x20 && char !== '\n') ||
      (code >= 0x7f && code <= 0x9f) ||
      [0x061c, 0x200e, 0x200f, 0x2028, 0x2029].includes(code) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069)
    )
  })
}

/** A running `hookseal listen`: the receiver's origin, and its page's URL with `--ui`. */
export interface Listener {
  child: ChildProcessWithoutNullStreams
  origin: string
  ui: string | undefined
}

/** Spawns `hookseal listen` with `args`; resolves once it has printed where it listens. */
export function spawnListen(args: string[]): Promise<Listener> {
  const child = spawn(process.execPath, [...BIN_ARGS, 'listen', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
  })
  child.stdout.resume()
  const withUi = args.includes('--ui')
  return new Promise((resolve, reject) => {
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      const origin = /listening on (http:\/\/\S+)/.exec(stderr)?.[1]
      const ui = /ui on (http:\/\/\S+)/.exec(stderr)?.[1]
      if (origin !== undefined && (ui !== undefined || !withUi)) resolve({ child, origin, ui })
    })
    child.once('exit', (code) => reject(new Error(`listen exited with ${code}: ${stderr}`)))
  })
}
