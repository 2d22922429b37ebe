import type { Fail } from '../lib/fail-with.js'
import { algorithmForKey } from '../sign/signing-algorithm.js'
import { readPrivateKeyOption } from './read-private-key-option.js'
import type { ClientAuthentication } from './client-credentials.js'
import type { ClientCredentialsOptions } from './types.js'

function secret(where: string, value: unknown, fail: Fail): string {
  if (typeof value !== 'string' || value === '')
    fail(`${where}.clientSecret must be a non-empty string`)
  return value
}

/**
 * Checks how a client-credentials client authenticates and prepares its secret or key, so that a
 * wrong or missing one fails when the sender is created, not on the first delivery.
 *
 * @param where The option's path, for messages (`auth["partner.example"]`).
 * @throws TypeError for an unknown `authMethod`, a missing secret, or a key that is not a private
 *   RSA, P-256 or Ed25519 key.
 *
 * @example
 * ```ts
 * const authentication = clientAuthentication('auth["api.partner.example"]', grant, fail)
 * ```
 */
export function clientAuthentication(
  where: string,
  grant: ClientCredentialsOptions,
  fail: Fail,
): ClientAuthentication {
  const { authMethod = 'client_secret_basic' } = grant
  const path = `${where}.clientCredentials`
  if (authMethod === 'client_secret_basic' || authMethod === 'client_secret_post') {
    if (grant.privateKey !== undefined)
      fail(`${path}.privateKey needs authMethod 'private_key_jwt'`)
    return { method: authMethod, secret: secret(path, grant.clientSecret, fail) }
  }
  if (authMethod !== 'private_key_jwt') {
    fail(
      `${path}.authMethod must be 'client_secret_basic', 'client_secret_post' or 'private_key_jwt'`,
    )
  }
  if (grant.clientSecret !== undefined) {
    fail(`${path}.clientSecret is not used with 'private_key_jwt'; give privateKey only`)
  }
  const key = readPrivateKeyOption(`${path}.privateKey`, grant.privateKey, fail)
  const algorithm = algorithmForKey(key)
  if (algorithm === undefined) fail(`${path}.privateKey must be an RSA, P-256 or Ed25519 key`)
  const jwkKid = (grant.privateKey as { kid?: unknown } | undefined)?.kid
  const kid = grant.kid ?? (typeof jwkKid === 'string' ? jwkKid : undefined)
  if (kid !== undefined && (typeof kid !== 'string' || kid === '')) {
    fail(`${path}.kid must be a non-empty string`)
  }
  return { method: 'private_key_jwt', key, algorithm, kid }
}
