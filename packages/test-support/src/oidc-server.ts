import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider from 'oidc-provider'

/** What oidc-provider's adapter stores for one entry. */
type Payload = Record<string, unknown> & { grantId?: string; uid?: string; consumed?: number }

/** One model's entries (AccessToken, RefreshToken, Session, …), keyed by id (the token value). */
export type OidcModelStore = Map<string, Payload>

export interface OidcServerOptions {
  /** Access token lifetime, in seconds. @default 3600 */
  readonly accessTokenTtl?: number
  /** Redirect URIs registered for the client. */
  readonly redirectUris: readonly string[]
}

/** A real OAuth 2 / OpenID Connect authorization server (oidc-provider) on 127.0.0.1. */
export interface OidcServer {
  /** The issuer, `http://127.0.0.1:<port>`. */
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret: string
  /** Requests to the token endpoint so far. */
  readonly tokenRequests: number
  /** The provider's stored entries of one model, e.g. `'RefreshToken'`. */
  entries(model: string): OidcModelStore
  /** The refresh tokens the server holds for `account` that have not been spent yet. */
  unspentRefreshTokens(account: string): string[]
  /** Makes the token endpoint answer 503, or brings it back. */
  setTokenEndpointDown(down: boolean): void
  /**
   * Plays the customer's super-user: follows the authorization URL, signs in as `account`, grants
   * consent, and returns the URL the browser is finally sent to (the client's callback).
   */
  authorize(authorizationUrl: URL | string, account: string): Promise<URL>
  close(): Promise<void>
}

function createAdapter(models: Map<string, OidcModelStore>) {
  return class MapAdapter {
    readonly entries: OidcModelStore

    constructor(name: string) {
      let entries = models.get(name)
      if (entries === undefined) {
        entries = new Map()
        models.set(name, entries)
      }
      this.entries = entries
    }

    async upsert(id: string, payload: Payload): Promise<void> {
      this.entries.set(id, payload)
    }

    async find(id: string): Promise<Payload | undefined> {
      return this.entries.get(id)
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      return [...this.entries.values()].find((payload) => payload.uid === uid)
    }

    async findByUserCode(): Promise<undefined> {
      return undefined
    }

    async consume(id: string): Promise<void> {
      const payload = this.entries.get(id)
      if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000)
    }

    async destroy(id: string): Promise<void> {
      this.entries.delete(id)
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const store of models.values()) {
        for (const [id, payload] of store) if (payload.grantId === grantId) store.delete(id)
      }
    }
  }
}

function formOf(html: string): { action: string; fields: Record<string, string> } | undefined {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]
  if (action === undefined) return undefined
  const fields: Record<string, string> = {}
  for (const match of html.matchAll(/<input[^>]*name="([^"]+)"(?:[^>]*value="([^"]*)")?/g)) {
    fields[match[1] as string] = match[2] ?? ''
  }
  return { action: action.replaceAll('&amp;', '&'), fields }
}

/**
 * Starts oidc-provider on an ephemeral loopback port with PKCE required, refresh-token rotation
 * on every use, RFC 7009 revocation, and one confidential client (`client_secret_basic`). Accounts
 * exist for any login; their tokens carry `tenant` and `partner` claims.
 *
 * @example
 * ```ts
 * const server = await startOidcServer({ redirectUris: ['http://127.0.0.1:1/callback'] })
 * const callback = await server.authorize(await connections.begin('acme'), 'acme-admin')
 * ```
 */
export async function startOidcServer(options: OidcServerOptions): Promise<OidcServer> {
  const models = new Map<string, OidcModelStore>()
  const clientId = 'hookseal-sender'
  const clientSecret = 'a-client-secret-for-tests-only-0123456789'
  let tokenRequests = 0
  let tokenEndpointDown = false
  // Set once the provider exists, which needs the port the server was given.
  const route: { handler?: (request: IncomingMessage, response: ServerResponse) => void } = {}

  const server: Server = createServer((request, response) => {
    if (request.url?.startsWith('/token') === true) {
      tokenRequests++
      if (tokenEndpointDown) {
        response.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance')
        return
      }
    }
    route.handler?.(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const issuer = `http://127.0.0.1:${port}`

  const provider = new Provider(issuer, {
    adapter: createAdapter(models),
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    features: {
      revocation: { enabled: true },
      devInteractions: { enabled: true },
    },
    claims: { openid: ['sub'], tenant: ['tenant', 'partner'] },
    conformIdTokenClaims: false,
    findAccount: async (_context: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, tenant: `tenant-of-${id}`, partner: 'mercurygate' }),
    }),
    ttl: {
      AccessToken: options.accessTokenTtl ?? 3600,
      AuthorizationCode: 600,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      Session: 3600,
      Interaction: 3600,
    },
    cookies: { keys: ['a-cookie-key-for-tests-only'] },
  })
  route.handler = provider.callback()

  async function authorize(authorizationUrl: URL | string, account: string): Promise<URL> {
    const cookies = new Map<string, string>()
    let url = new URL(String(authorizationUrl))
    let init: RequestInit = {}
    for (let step = 0; step < 20; step++) {
      const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ')
      const response = await fetch(url, {
        ...init,
        redirect: 'manual',
        headers: { ...(init.headers as Record<string, string>), cookie },
        signal: AbortSignal.timeout(5000),
      })
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';')
        const at = pair.indexOf('=')
        cookies.set(pair.slice(0, at), pair.slice(at + 1))
      }
      const location = response.headers.get('location')
      if (location !== null) {
        await response.body?.cancel()
        const next = new URL(location, url)
        if (next.origin !== issuer) return next
        url = next
        init = {}
        continue
      }
      const form = formOf(await response.text())
      if (form === undefined) throw new Error(`no form at ${url.pathname} (${response.status})`)
      if ('login' in form.fields) {
        form.fields.login = account
        form.fields.password = 'any password'
      }
      url = new URL(form.action, url)
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form.fields).toString(),
      }
    }
    throw new Error('the authorization did not reach the callback within 20 steps')
  }

  return {
    issuer,
    clientId,
    clientSecret,
    get tokenRequests() {
      return tokenRequests
    },
    entries(model) {
      return models.get(model) ?? new Map()
    },
    unspentRefreshTokens(account) {
      return [...(models.get('RefreshToken') ?? [])]
        .filter(([, payload]) => payload.consumed === undefined && payload.accountId === account)
        .map(([id]) => id)
    },
    setTokenEndpointDown(down) {
      tokenEndpointDown = down
    },
    authorize,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
