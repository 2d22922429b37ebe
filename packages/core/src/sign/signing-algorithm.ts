import type { KeyObject } from 'node:crypto'
import type { SigningAlgorithm } from './key-set-types.js'

const ALGORITHM_BY_KEY_TYPE: Readonly<Record<string, SigningAlgorithm>> = {
  rsa: 'RS256',
  'ec:prime256v1': 'ES256',
  ed25519: 'EdDSA',
}

/** The algorithm a private key signs with, or undefined for a key type that cannot sign webhooks. */
export function algorithmForKey(key: KeyObject): SigningAlgorithm | undefined {
  const type = key.asymmetricKeyType ?? ''
  const curve = type === 'ec' ? `:${key.asymmetricKeyDetails?.namedCurve ?? ''}` : ''
  return ALGORITHM_BY_KEY_TYPE[`${type}${curve}`]
}

export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return value === 'RS256' || value === 'ES256' || value === 'EdDSA'
}
