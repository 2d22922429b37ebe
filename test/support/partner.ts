import { createVerifier } from '@hookseal/core'
import type { Verifier } from '@hookseal/core'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { generateTestKey, jwksOf, signToken, webhookClaims } from '@hookseal/test-support/test-keys'
import type { TestKey } from '@hookseal/test-support/test-keys'

export const ISSUER = 'https://partner.example'
export const AUDIENCE = 'https://receiver.example/webhooks'

/** A sender with one RS256 key behind a JWKS on loopback, and a receiver's verifier trusting it. */
export interface Partner {
  key: TestKey
  jwks: JwksServer
  verifier: Verifier
}

/** Starts the partner's JWKS endpoint; close `jwks` when done. */
export async function startPartner(): Promise<Partner> {
  const key = generateTestKey('RS256', 'partner-1')
  const jwks = await startJwksServer(jwksOf(key))
  const verifier = createVerifier({
    issuers: [{ issuer: ISSUER, jwksUri: jwks.url, audience: AUDIENCE }],
    allowInsecureHttp: true,
  })
  return { key, jwks, verifier }
}

/** A token signed by `key` for exactly `body`, valid now, with any claim changed. */
export function signWebhook(
  key: TestKey,
  body: string,
  claims: Record<string, unknown> = {},
): Promise<string> {
  return signToken({ key, claims: { ...webhookClaims(ISSUER, AUDIENCE, body), ...claims } })
}
