import { createSigner, loadKeySet } from '../../src/send/index.js'
import type { PublicJwks, Signer } from '../../src/send/index.js'
import { generateTestKey } from '@hookseal/test-support/test-keys'

export const ISSUER = 'https://sender.example'

/** A signer over a key generated at test time, and the JWKS a receiver would fetch for it. */
export interface TestSigning {
  readonly signer: Signer
  readonly jwks: PublicJwks
}

export async function createTestSigning(): Promise<TestSigning> {
  const { privateKey } = generateTestKey('RS256')
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  const keys = await loadKeySet({ keys: [{ pem, state: 'active' }] })
  return { signer: createSigner({ issuer: ISSUER, keys }), jwks: keys.jwks() }
}
