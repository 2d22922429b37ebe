/**
 * The customer connection routes of every adapter, both majors of each framework, on real servers
 * on 127.0.0.1, against a real authorization server (oidc-provider): the super-user's whole
 * authorization through `/connect/:customer` and `/callback`, and each refusal as a problem
 * response with a 4xx, byte-identical in every adapter.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { problemResponse } from '@hookseal/core/http'
import type { ConnectionRoutesOptions } from '@hookseal/core/http'
import { ConnectionError, createConnections } from '@hookseal/core/send'
import type { CompletedConnection, Connections } from '@hookseal/core/send'
import { connectionRoutes as expressConnectionRoutes } from '@hookseal/express'
import { connectionRoutes as fastifyConnectionRoutes } from '@hookseal/fastify'
import { connectionRoutes as koaConnectionRoutes } from '@hookseal/koa'
import { connectionOptions, REDIRECT_URI } from '@hookseal/test-support/connection-options'
import { startOidcServer } from '@hookseal/test-support/oidc-server'
import type { OidcServer } from '@hookseal/test-support/oidc-server'
import { expressMajors } from './harness/express.js'
import { fastifyMajors } from './harness/fastify.js'
import { koaMajors } from './harness/koa.js'

/** Only this customer may be connected, standing in for the app's own check of the signed-in user. */
const ALLOWED = 'acme'

interface RunningRoutes {
  readonly origin: string
  readonly connected: CompletedConnection[]
  close(): Promise<void>
}

type Options = ConnectionRoutesOptions<unknown>

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    })
  })
}

function closing(server: Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
}

type Start = (
  connections: Connections,
  options: Options,
) => Promise<Omit<RunningRoutes, 'connected'>>

const frameworks: Array<{ name: string; start: Start }> = [
  ...expressMajors.map(({ name, express }) => ({
    name,
    start: async (connections: Connections, options: Options) => {
      const app = express()
      app.use('/connections', expressConnectionRoutes(connections, options))
      const server = createServer(app)
      return { origin: await listen(server), close: closing(server) }
    },
  })),
  ...koaMajors.map(({ name, Koa }) => ({
    name,
    start: async (connections: Connections, options: Options) => {
      const app = new Koa()
      app.use(koaConnectionRoutes(connections, { prefix: '/connections', ...options }))
      const server = createServer(app.callback())
      return { origin: await listen(server), close: closing(server) }
    },
  })),
  ...fastifyMajors.map(({ name, Fastify }) => ({
    name,
    start: async (connections: Connections, options: Options) => {
      const app = Fastify()
      await app.register(fastifyConnectionRoutes, {
        prefix: '/connections',
        connections,
        ...options,
      })
      const origin = await app.listen({ port: 0, host: '127.0.0.1' })
      return { origin, close: () => app.close() }
    },
  })),
]

let server: OidcServer

beforeAll(async () => {
  server = await startOidcServer({ redirectUris: [REDIRECT_URI] })
})
afterAll(() => server.close())

function problemOf(code: ConnectionError['code'], message: string): string {
  return problemResponse(new ConnectionError(code, message)).payload.toString()
}

describe.each(frameworks)('$name', ({ start }) => {
  let routes: RunningRoutes

  beforeAll(async () => {
    const connections = createConnections(connectionOptions(server))
    const connected: CompletedConnection[] = []
    const running = await start(connections, {
      authorize: (customer) => customer === ALLOWED,
      onConnected: (connection) => {
        connected.push(connection)
      },
    })
    routes = { ...running, connected }
  })
  afterAll(() => routes.close())

  /** The authorization URL `/connect/acme` redirects to. */
  async function connect(): Promise<URL> {
    const response = await fetch(`${routes.origin}/connections/connect/${ALLOWED}`, {
      redirect: 'manual',
    })
    expect(response.status).toBe(302)
    expect(response.headers.get('cache-control')).toBe('no-store')
    return new URL(response.headers.get('location')!)
  }

  /** Requests the app's callback route with the query the authorization server sent. */
  function callback(url: URL): Promise<Response> {
    return fetch(`${routes.origin}/connections/callback${url.search}`, { redirect: 'manual' })
  }

  async function expectProblem(response: Response, status: number, code: string): Promise<string> {
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    const text = await response.text()
    expect(JSON.parse(text)).toMatchObject({ status, code })
    return text
  }

  it('runs the whole authorization through the two routes', async () => {
    const authorization = await connect()
    expect(authorization.origin).toBe(server.issuer)
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256')
    const response = await callback(await server.authorize(authorization, 'acme-admin'))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ customer: 'acme', connected: true })
    expect(routes.connected.at(-1)?.claims).toMatchObject({ tenant: 'tenant-of-acme-admin' })
  })

  it('refuses a replayed callback with a 400 problem', async () => {
    const landing = await server.authorize(await connect(), 'acme-admin')
    expect((await callback(landing)).status).toBe(200)
    const text = await expectProblem(await callback(landing), 400, 'ERR_CONNECTION_STATE_INVALID')
    expect(text).toBe(
      problemOf(
        'ERR_CONNECTION_STATE_INVALID',
        'the callback state is unknown, expired or already used; start the connection again',
      ),
    )
  })

  it('refuses a state it never issued, and a callback without one', async () => {
    const forged = new URL(REDIRECT_URI)
    forged.searchParams.set('state', 'forged-state-0123456789abcdef')
    forged.searchParams.set('code', 'some-code')
    await expectProblem(await callback(forged), 400, 'ERR_CONNECTION_STATE_INVALID')
    await expectProblem(await callback(new URL(REDIRECT_URI)), 400, 'ERR_CONNECTION_STATE_INVALID')
  })

  it("answers the server's error response with a 400 problem naming it", async () => {
    const denied = new URL(REDIRECT_URI)
    denied.searchParams.set('state', (await connect()).searchParams.get('state')!)
    denied.searchParams.set('error', 'access_denied')
    denied.searchParams.set('iss', server.issuer)
    const text = await expectProblem(await callback(denied), 400, 'ERR_CONNECTION_DENIED')
    expect(JSON.parse(text).detail).toContain('access_denied')
  })

  it('answers a callback without a code with a 400 problem', async () => {
    const bare = new URL(REDIRECT_URI)
    bare.searchParams.set('state', (await connect()).searchParams.get('state')!)
    bare.searchParams.set('iss', server.issuer)
    await expectProblem(await callback(bare), 400, 'ERR_CONNECTION_CODE_MISSING')
  })

  it('answers 403 when authorize says no, and 400 for a malformed customer', async () => {
    const other = await fetch(`${routes.origin}/connections/connect/globex`, { redirect: 'manual' })
    await expectProblem(other, 403, 'ERR_CONNECTION_FORBIDDEN')
    const spaced = await fetch(`${routes.origin}/connections/connect/a%20b`, { redirect: 'manual' })
    await expectProblem(spaced, 400, 'ERR_CONNECTION_CUSTOMER_INVALID')
  })
})
