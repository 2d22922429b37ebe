import { createPrivateKey } from 'node:crypto'
import type { JsonWebKey, KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Fail } from '../lib/fail-with.js'
import type { PrivateKeySource } from './key-set-types.js'

/** A private key, and what a JWK said about its intended use. */
export interface PrivateKeyMaterial {
  readonly keyObject: KeyObject
  readonly kid?: unknown
  readonly alg?: unknown
  readonly use?: unknown
  readonly keyOps?: unknown
}

const SOURCES = ['pem', 'jwk', 'file', 'env'] as const
const PUBLIC_PEM = /-----BEGIN (?:RSA |EC )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/

/**
 * Reads one private key from inline PEM or JWK, a file or an environment variable, refusing public
 * keys and shared secrets with a message that says why. Messages name the file or variable but
 * never quote its content, which may be key material.
 */
export async function readPrivateKey(
  source: PrivateKeySource,
  fail: Fail,
): Promise<PrivateKeyMaterial> {
  const given = SOURCES.filter((name) => (source as Record<string, unknown>)[name] !== undefined)
  if (given.length !== 1) fail('give exactly one of pem, jwk, file or env')

  if (source.pem !== undefined) {
    if (typeof source.pem !== 'string') fail('pem must be a string')
    return fromPem(source.pem, 'the PEM', fail)
  }
  if (source.jwk !== undefined) {
    if (typeof source.jwk === 'string') return fromJson(source.jwk, 'the JWK', fail)
    return fromJwk(source.jwk, 'the JWK', fail)
  }
  if (source.file !== undefined) {
    const file = source.file
    if (typeof file !== 'string' && !(file instanceof URL)) fail('file must be a path or a URL')
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (cause) {
      fail(`cannot read ${String(file)} (${(cause as NodeJS.ErrnoException).code})`, cause)
    }
    return fromText(text, `file ${String(file)}`, fail)
  }
  const name = source.env
  if (typeof name !== 'string' || name === '') fail('env must be the name of a variable')
  const text = process.env[name]
  if (text === undefined || text.trim() === '') fail(`environment variable ${name} is not set`)
  return fromText(text, `environment variable ${name}`, fail)
}

function fromText(text: string, origin: string, fail: Fail): PrivateKeyMaterial {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) return fromJson(trimmed, origin, fail)
  if (trimmed.startsWith('-----BEGIN')) return fromPem(trimmed, origin, fail)
  fail(
    `${origin} holds neither a PEM nor a JWK private key (a shared secret cannot sign webhooks: ` +
      'receivers verify with public keys)',
  )
}

function fromPem(text: string, origin: string, fail: Fail): PrivateKeyMaterial {
  // Environment files often carry a PEM on one line with its line breaks written as "\n".
  const pem = !text.includes('\n') && text.includes('\\n') ? text.replaceAll('\\n', '\n') : text
  if (PUBLIC_PEM.test(pem))
    fail(`${origin} is a public key or certificate; signing needs the private key`)
  try {
    return { keyObject: createPrivateKey({ key: pem, format: 'pem' }) }
  } catch (cause) {
    fail(`${origin} is not a readable PEM private key (${(cause as Error).message})`, cause)
  }
}

function fromJson(text: string, origin: string, fail: Fail): PrivateKeyMaterial {
  let jwk: unknown
  try {
    jwk = JSON.parse(text)
  } catch {
    // JSON.parse quotes the text it chokes on, and this text is a private key: no cause, no quote.
    fail(`${origin} is not valid JSON`)
  }
  return fromJwk(jwk, origin, fail)
}

function fromJwk(value: unknown, origin: string, fail: Fail): PrivateKeyMaterial {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`${origin} must be a JWK object`)
  }
  const jwk = value as Record<string, unknown>
  if (jwk.keys !== undefined) fail(`${origin} is a JWK Set; give each key on its own`)
  if (jwk.kty === 'oct') {
    fail(
      `${origin} is a symmetric key: an HMAC secret cannot sign webhooks, receivers verify with ` +
        'public keys',
    )
  }
  if (jwk.d === undefined) fail(`${origin} is a public key (no "d"); signing needs the private key`)
  // Node 24 refuses any "oth" member at import and older lines accept it: refuse it here, so that
  // the same key gets the same answer on every Node line.
  if (jwk.oth !== undefined)
    fail(`${origin} is a multi-prime RSA key ("oth"), which is not supported`)
  let keyObject: KeyObject
  try {
    keyObject = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' })
  } catch (cause) {
    fail(`${origin} cannot be imported as a private key (${(cause as Error).message})`, cause)
  }
  return { keyObject, kid: jwk.kid, alg: jwk.alg, use: jwk.use, keyOps: jwk.key_ops }
}
