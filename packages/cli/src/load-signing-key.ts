import { loadKeySet } from '@hookseal/core/send'
import type { SigningKeySet } from '@hookseal/core/send'
import { readInput } from './read-input.js'
import { UsageError } from './usage-error.js'

/** Loads one private key file, PEM or JWK, as a key set of one active key. */
export async function loadSigningKey(path: string): Promise<SigningKeySet> {
  const text = (await readInput(path, 'key file')).toString('utf8')
  const source = text.trimStart().startsWith('{') ? { jwk: text } : { pem: text }
  try {
    return await loadKeySet({ keys: [{ ...source, state: 'active' }] })
  } catch (cause) {
    throw new UsageError(`bad key file ${path}: ${(cause as Error).message}`)
  }
}
