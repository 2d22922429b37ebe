import type { PublicJwkMembers } from './public-jwk-problem.js'

/** A usable key set entry: the runtime's imported key with the JWK's metadata, as each import keeps it. */
export function keyEntry<Key>(kid: string, members: PublicJwkMembers, keyObject: Key) {
  const { kty, alg, use, key_ops: keyOps, crv } = members
  return {
    kid,
    kty,
    keyObject,
    ...(alg === undefined ? {} : { alg }),
    ...(use === undefined ? {} : { use }),
    ...(keyOps === undefined ? {} : { keyOps }),
    ...(typeof crv === 'string' ? { crv } : {}),
  }
}
