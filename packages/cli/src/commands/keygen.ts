import { generateKeyPair } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import { loadSigningKey } from '../load-signing-key.js'
import { print, printJson } from '../output.js'
import { integerFlag, parseFlags, required } from '../parse-flags.js'
import { EXIT, UsageError } from '../usage-error.js'
import { writePrivateKey } from '../write-private-key.js'

export const help = `Usage: hookseal keygen --out <file> [options]

Generates a signing key, writes the private key (file mode 0600) and prints the public JWKS.

Options:
  --type <rsa|ec|ed25519>  key type (default: rsa, i.e. RS256, what receivers accept by default;
                           ec is P-256 / ES256, ed25519 is EdDSA: receivers must add them to
                           their algorithms)
  --bits <2048|3072|4096>  RSA modulus size (default: 3072)
  --format <pem|jwk>       private key file format (default: pem)
  --kid <id>               key id, with --format jwk (default: the key's JWK thumbprint)
  --out <file>             where to write the private key (required)
  --force                  replace an existing file (a symlink is replaced, never followed)
  --json                   print the key file name and JWKS as JSON

Example:
  hookseal keygen --out webhook-key.pem > jwks.json`

const RSA_BITS = new Set([2048, 3072, 4096])
const generate = promisify(generateKeyPair)

async function newKey(type: string, bits: number): Promise<KeyObject> {
  switch (type) {
    case 'rsa':
      return (await generate('rsa', { modulusLength: bits })).privateKey
    case 'ec':
      return (await generate('ec', { namedCurve: 'P-256' })).privateKey
    case 'ed25519':
      return (await generate('ed25519')).privateKey
    default:
      throw new UsageError(`--type must be rsa, ec or ed25519 (got ${type})`)
  }
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    // RS256 is the scheme's default: the one algorithm a receiver accepts without configuration.
    type: { type: 'string', default: 'rsa' },
    bits: { type: 'string' },
    format: { type: 'string', default: 'pem' },
    kid: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  })
  if (values.help) return (print(help), EXIT.ok)
  const out = required(values.out, 'out')
  const bits = integerFlag(values.bits, 'bits', 1) ?? 3072
  if (values.type !== 'rsa' && values.bits !== undefined) {
    throw new UsageError('--bits applies to --type rsa only')
  }
  if (!RSA_BITS.has(bits)) throw new UsageError('--bits must be 2048, 3072 or 4096')
  if (values.format !== 'pem' && values.format !== 'jwk') {
    throw new UsageError(`--format must be pem or jwk (got ${values.format})`)
  }
  if (values.kid !== undefined && values.format === 'pem') {
    throw new UsageError('a PEM file cannot hold a kid: use --format jwk with --kid')
  }

  const privateKey = await newKey(values.type, bits)
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const content =
    values.format === 'pem'
      ? pem
      : `${JSON.stringify(
          { ...privateKey.export({ format: 'jwk' }), ...(values.kid ? { kid: values.kid } : {}) },
          null,
          2,
        )}\n`
  try {
    await writePrivateKey(out, content, values.force)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    throw new UsageError(
      code === 'EEXIST'
        ? `${out} already exists; pass --force to overwrite it`
        : `cannot write ${out}: ${(cause as Error).message}`,
    )
  }

  // Loading the written key checks it the way the signer will, and gives its published JWK.
  const keys = await loadSigningKey(out)
  const jwks = keys.jwks()
  if (values.json) {
    printJson({ privateKeyFile: out, jwks })
  } else {
    process.stderr.write(`wrote private key ${out} (mode 0600); public JWKS:\n`)
    printJson(jwks)
  }
  return EXIT.ok
}
