import { verifyEd25519 } from '#runtime/crypto.js'
import { keyMisfitReason } from '../../keys/key-fits-algorithm.js'
import { isUsable } from '../../keys/verification-key.js'
import type { KeySetEntry } from '../../keys/verification-key.js'
import type { RemoteKeySet } from '../../jwks/types.js'
import type { StandardWebhooksSignature } from './parse-signature-header.js'

/** The kid of the first entry that is an Ed25519 signing key and verifies one v1a signature. */
async function verifyingKid(
  entries: readonly KeySetEntry[],
  signatures: readonly StandardWebhooksSignature[],
  content: Buffer,
): Promise<string | undefined> {
  for (const entry of entries) {
    // The same key checks as for a JWT signed with EdDSA: OKP, Ed25519, alg/use/key_ops.
    if (!isUsable(entry) || keyMisfitReason(entry, 'EdDSA') !== undefined) continue
    for (const { version, signature } of signatures) {
      if (version === 'v1a' && (await verifyEd25519(content, entry.keyObject, signature))) {
        return entry.kid
      }
    }
  }
  return undefined
}

/**
 * Finds the JWKS key that made one of the v1a signatures over `content`. v1a signatures name no
 * key, so every Ed25519 key of the set is tried; when none verifies, the set is refetched once (a
 * key published since the last fetch), under the JWKS client's cooldown, and only new keys tried.
 *
 * @param signedAt the `webhook-timestamp`, in epoch seconds
 * @returns the kid of the key that verified, or undefined
 */
export async function matchJwksKey(
  keySet: RemoteKeySet,
  signatures: readonly StandardWebhooksSignature[],
  content: Buffer,
  signedAt: number,
): Promise<string | undefined> {
  if (!signatures.some((signature) => signature.version === 'v1a')) return undefined
  return (
    (await verifyingKid(await keySet.allKeys(), signatures, content)) ??
    (await verifyingKid(await keySet.allKeys(signedAt), signatures, content))
  )
}
