import { createPublicKey } from 'node:crypto'
import type { JsonWebKey as NodeJsonWebKey } from 'node:crypto'
import { publicJwkProblem, rsaKeyProblem, SMALL_ORDER_PROBLEM } from './public-jwk-problem.js'
import { isSmallOrderPoint } from './small-order-point.js'
import { keyEntry } from './key-entry.js'
import type { PublicJwkMembers } from './public-jwk-problem.js'
import type { KeySetEntry } from './verification-key.js'

/**
 * Imports one JWK from a sender's JWKS into a node:crypto KeyObject, once per fetch. Keys that can
 * never verify safely (secret material, RSA under 2048 bits, a bad exponent, an unknown curve, an
 * Ed25519 point of small order) or that would make each verification costly (RSA over 8192 bits, an
 * exponent over 2^32 + 1) are kept as unusable so that a token naming them gets a precise refusal.
 */
export function importJwk(jwk: Record<string, unknown>, kid: string): KeySetEntry {
  const unusable = (unusableReason: string): KeySetEntry => ({ kid, unusableReason })
  const problem = publicJwkProblem(jwk)
  if (problem !== undefined) return unusable(problem)
  // publicJwkProblem has checked the type and the metadata's types.
  const members = jwk as unknown as PublicJwkMembers
  const { kty } = members

  let keyObject
  try {
    keyObject = createPublicKey({ key: jwk as NodeJsonWebKey, format: 'jwk' })
  } catch (cause) {
    return unusable(`the key cannot be imported: ${(cause as Error).message}`)
  }

  if (kty === 'RSA') {
    const { modulusLength = 0, publicExponent = 0n } = keyObject.asymmetricKeyDetails ?? {}
    const rsaProblem = rsaKeyProblem(modulusLength, publicExponent, () =>
      BigInt(`0x${Buffer.from(String(jwk.n), 'base64url').toString('hex')}`),
    )
    if (rsaProblem !== undefined) return unusable(rsaProblem)
  }

  if (kty === 'OKP' && isSmallOrderPoint(Buffer.from(String(jwk.x), 'base64url'))) {
    return unusable(SMALL_ORDER_PROBLEM)
  }

  return keyEntry(kid, members, keyObject)
}
