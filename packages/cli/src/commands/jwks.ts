import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { PublicSigningJwk } from '@hookseal/core/send'
import { loadSigningKey } from '../load-signing-key.js'
import { print, printJson } from '../output.js'
import { parseFlags } from '../parse-flags.js'
import { EXIT, UsageError } from '../usage-error.js'

export const help = `Usage: hookseal jwks <key file or directory>...

Prints the public JWKS of private key files (PEM or JWK). A directory contributes every
.pem, .key, .json and .jwk file in it.

Options:
  --json   accepted for symmetry: the output is always JSON

Example:
  hookseal jwks keys/ > public/.well-known/jwks.json`

const KEY_FILE = /\.(pem|key|json|jwk)$/i

async function keyFiles(path: string): Promise<string[]> {
  let info
  try {
    info = await stat(path)
  } catch {
    throw new UsageError(`cannot read ${path}: no such file or directory`)
  }
  if (!info.isDirectory()) return [path]
  const names = (await readdir(path)).filter((name) => KEY_FILE.test(name)).sort()
  if (names.length === 0) throw new UsageError(`${path} holds no .pem, .key, .json or .jwk file`)
  return names.map((name) => join(path, name))
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { json: { type: 'boolean' } }, true)
  if (values.help) return (print(help), EXIT.ok)
  if (positionals.length === 0) throw new UsageError('give at least one key file or directory')

  const keys: PublicSigningJwk[] = []
  const sources = new Map<string, string>()
  for (const path of positionals) {
    for (const file of await keyFiles(path)) {
      for (const jwk of (await loadSigningKey(file)).jwks().keys) {
        const earlier = sources.get(jwk.kid)
        if (earlier !== undefined) {
          throw new UsageError(`${file} and ${earlier} have the same kid ${jwk.kid}`)
        }
        sources.set(jwk.kid, file)
        keys.push(jwk)
      }
    }
  }
  printJson({ keys })
  return EXIT.ok
}
