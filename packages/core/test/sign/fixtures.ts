import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import type { JsonWebKey, KeyObject } from 'node:crypto'
import type { SigningAlgorithm } from '../../src/send/index.js'

export const ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA']

/** Members only a private or symmetric key has: none may ever be published. */
export const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/** A private key for `alg`, made now; RSA keys are 2048 bits unless told otherwise. */
export function privateKeyFor(alg: SigningAlgorithm, modulusLength = 2048): KeyObject {
  switch (alg) {
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength }).privateKey
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey
  }
}

export function pemOf(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }) as string
}

export function jwkOf(key: KeyObject): JsonWebKey {
  return key.export({ format: 'jwk' })
}

/** The public JWK members RFC 7638 hashes, as jose would be given them. */
export function publicJwkOf(key: KeyObject): JsonWebKey {
  return createPublicKey(key).export({ format: 'jwk' })
}
