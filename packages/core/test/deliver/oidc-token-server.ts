import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import type { JWK } from 'jose'
import Provider from 'oidc-provider'

/** A client registered for the client-credentials grant. */
export interface RegisteredClient {
  readonly client_id: string
  readonly token_endpoint_auth_method:
    'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'
  readonly client_secret?: string
  /** The client's public keys, for `private_key_jwt`. */
  readonly jwks?: { keys: JWK[] }
}

/** What a successful token request carried. */
export interface GrantRequest {
  readonly authorization: string | undefined
  readonly body: Readonly<Record<string, unknown>>
}

/** A real OAuth 2 authorization server (oidc-provider) on 127.0.0.1, for client credentials. */
export interface TokenServer {
  /** `http://127.0.0.1:<port>` */
  readonly issuer: string
  readonly tokenUrl: string
  /** Tokens issued so far. */
  readonly issued: number
  /** How each successful token request authenticated the client, in order. */
  readonly grants: readonly GrantRequest[]
  /** Whether `token` is an access token the server issued and has not revoked. */
  isValid(token: string): Promise<boolean>
  /** Revokes an issued token, so that a resource server refuses it. */
  revoke(token: string): Promise<void>
  close(): Promise<void>
}

export const SCOPE = 'webhooks.write'

/**
 * Starts oidc-provider with the client-credentials grant on and `clients` registered, with signing
 * keys generated now.
 */
export async function startTokenServer(clients: readonly RegisteredClient[]): Promise<TokenServer> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const signingKey = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'as-1' }
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider = new Provider(issuer, {
    clients: clients.map((client) => ({
      ...client,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: SCOPE,
    })),
    scopes: [SCOPE],
    jwks: { keys: [signingKey] },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
    },
    ttl: { ClientCredentials: 3600 },
  })
  const grants: GrantRequest[] = []
  provider.on('grant.success', (ctx) => {
    const body = (ctx.oidc as { body?: Record<string, unknown> }).body ?? {}
    grants.push({ authorization: ctx.headers.authorization, body: { ...body } })
  })
  server.on('request', provider.callback())

  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    get issued() {
      return grants.length
    },
    grants,
    async isValid(token) {
      const found = await provider.ClientCredentials.find(token)
      return found !== undefined && !found.isExpired
    },
    async revoke(token) {
      const found = await provider.ClientCredentials.find(token)
      await found?.destroy()
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
