import { randomBytes } from 'node:crypto'
import type { OidcServer } from './oidc-server.js'
import type { ConnectionsOptions } from '@hookseal/core/send'

/** The callback registered for the test client; nothing listens there, the tests stop at it. */
export const REDIRECT_URI = 'http://127.0.0.1:9/connections/callback'

/**
 * Options of connections to the test authorization server, as a MercuryGate-style partner wants
 * them: offline access (a refresh token), consent asked for, tenant claims.
 */
export function connectionOptions(
  server: OidcServer,
  extra: Partial<ConnectionsOptions> = {},
): ConnectionsOptions {
  return {
    authorizationServer: server.issuer,
    clientId: server.clientId,
    clientSecret: server.clientSecret,
    redirectUri: REDIRECT_URI,
    scope: 'openid offline_access tenant',
    authorizationParameters: { prompt: 'consent' },
    encryptionKeys: [{ id: 'k1', key: randomBytes(32) }],
    allowInsecureHttp: true,
    allowPrivateAddresses: ['127.0.0.1'],
    ...extra,
  }
}
