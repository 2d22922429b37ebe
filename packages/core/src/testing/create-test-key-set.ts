import { generateKeyPair } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import { loadKeySet } from '../sign/load-key-set.js'
import type { SigningAlgorithm, SigningKeySet } from '../sign/key-set-types.js'

const generate = promisify(generateKeyPair)

/** Options of {@link createTestKeySet}. */
export interface CreateTestKeySetOptions {
  /** The algorithm of the one key made. @default 'RS256' */
  alg?: SigningAlgorithm
}

function generateFor(alg: SigningAlgorithm): Promise<{ privateKey: KeyObject }> {
  switch (alg) {
    case 'RS256':
      return generate('rsa', { modulusLength: 2048 })
    case 'ES256':
      return generate('ec', { namedCurve: 'P-256' })
    case 'EdDSA':
      return generate('ed25519')
  }
}

/**
 * Makes a key set with one active key generated now, in memory only, for tests. Each call makes a
 * new key: tokens signed with one set never verify against another's JWKS.
 *
 * > [!NOTE]
 * > For tests only: the key is lost when the process exits, so a sender using it would publish a
 * > different JWKS after every restart.
 *
 * @example
 * ```ts
 * const keys = await createTestKeySet({ alg: 'ES256' })
 * keys.jwks() // { keys: [{ kty: 'EC', crv: 'P-256', x, y, kid, alg: 'ES256', use: 'sig' }] }
 * ```
 */
export async function createTestKeySet(
  options: CreateTestKeySetOptions = {},
): Promise<SigningKeySet> {
  const { alg = 'RS256' } = options ?? {}
  if (alg !== 'RS256' && alg !== 'ES256' && alg !== 'EdDSA') {
    throw new TypeError(`createTestKeySet: alg must be RS256, ES256 or EdDSA, not ${String(alg)}`)
  }
  const { privateKey } = await generateFor(alg)
  return loadKeySet({ keys: [{ jwk: privateKey.export({ format: 'jwk' }), alg, state: 'active' }] })
}
