/**
 * The sending side of every adapter, both majors of each framework, on real servers on 127.0.0.1:
 * the JWKS route each adapter publishes, and the sender it hands to handlers.
 */
import type { JsonWebKey } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Router from '@koa/router'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadKeySet } from '@hookseal/core/send'
import type { Delivery, PublicJwks, Sender, SigningKeySet } from '@hookseal/core/send'
import { jwksHandler as expressJwksHandler, publishWebhookSender } from '@hookseal/express'
import type { PublishWebhookSenderOptions } from '@hookseal/express'
import { hooksealSender, jwksHandler as fastifyJwksHandler } from '@hookseal/fastify'
import type { HooksealSenderOptions } from '@hookseal/fastify'
import {
  jwksHandler as koaJwksHandler,
  jwksMiddleware,
  publishWebhookSender as publishKoaWebhookSender,
} from '@hookseal/koa'
import type { PublishWebhookSenderOptions as KoaPublishOptions } from '@hookseal/koa'
import { expressMajors, expressSenderHarnesses } from './harness/express.js'
import { fastifyMajors, fastifySenderHarnesses } from './harness/fastify.js'
import { honoSenderHarness } from './harness/hono.js'
import { koaMajors, koaSenderHarnesses, startApp } from './harness/koa.js'
import type { Emitted } from './harness/emit.js'
import type { RunningServer, SenderAppOptions, SenderHarness } from './harness/types.js'
import { loopbackSender, newPrivateJwk, startRecordingReceiver } from './support/sender.js'
import type { RecordingReceiver } from './support/sender.js'

const ISSUER = 'https://shop.example'
const JWKS_PATH = '/.well-known/jwks.json'
const JWKS_TYPE = 'application/jwk-set+json'

const harnesses: SenderHarness[] = [
  ...expressSenderHarnesses,
  ...koaSenderHarnesses,
  ...fastifySenderHarnesses,
  honoSenderHarness,
]

let jwks: JsonWebKey[]
let receiver: RecordingReceiver

beforeAll(async () => {
  jwks = await Promise.all([newPrivateJwk(), newPrivateJwk(), newPrivateJwk()])
  receiver = await startRecordingReceiver()
})

afterAll(() => receiver.close())

/** A key set of its own for each test (rotation changes it): one active key, one next. */
function freshKeys(): Promise<SigningKeySet> {
  return loadKeySet({
    keys: [
      { jwk: jwks[0]!, state: 'active' },
      { jwk: jwks[1]!, state: 'next' },
    ],
  })
}

/** A sender that records every delivery handed to it, then delivers it. */
function spiedSender(keys: SigningKeySet): { sender: Sender; deliveries: Delivery[] } {
  const { sender: real } = loopbackSender(ISSUER, keys)
  const deliveries: Delivery[] = []
  const sender: Sender = {
    send(delivery) {
      deliveries.push(delivery)
      return real.send(delivery)
    },
    close: () => real.close(),
  }
  return { sender, deliveries }
}

async function withApp<T>(
  harness: SenderHarness,
  options: SenderAppOptions,
  run: (app: RunningServer) => Promise<T>,
): Promise<T> {
  const app = await harness.start(options)
  try {
    return await run(app)
  } finally {
    await app.close()
  }
}

async function readJwks(url: string): Promise<PublicJwks> {
  const response = await fetch(url)
  expect(response.status).toBe(200)
  return (await response.json()) as PublicJwks
}

function kids(set: PublicJwks): string[] {
  return set.keys.map((key) => key.kid)
}

function tokenHeader(token: string): { kid?: string; alg?: string } {
  return JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'))
}

describe.each(harnesses)('$name sender app', (harness) => {
  it('serves keys.jwks() at /.well-known/jwks.json as application/jwk-set+json, max-age 300', async () => {
    const keys = await freshKeys()
    const { sender } = spiedSender(keys)
    await withApp(harness, { sender, keys }, async (app) => {
      const response = await fetch(`${app.url}${JWKS_PATH}`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe(JWKS_TYPE)
      expect(response.headers.get('cache-control')).toBe('public, max-age=300')
      expect(await response.json()).toEqual(keys.jwks())
      expect(keys.jwks().keys).toHaveLength(2)
    })
  })

  it('answers HEAD on the JWKS route with the same headers and no body', async () => {
    const keys = await freshKeys()
    const { sender } = spiedSender(keys)
    await withApp(harness, { sender, keys }, async (app) => {
      const response = await fetch(`${app.url}${JWKS_PATH}`, { method: 'HEAD' })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe(JWKS_TYPE)
      expect(response.headers.get('cache-control')).toBe('public, max-age=300')
      expect(await response.text()).toBe('')
    })
  })

  it('serves the JWKS at the path and max-age the app chose, and not at the default path', async () => {
    const keys = await freshKeys()
    const { sender } = spiedSender(keys)
    const path = '/partners/webhook-keys.json'
    await withApp(harness, { sender, keys, path, maxAge: 45 }, async (app) => {
      const response = await fetch(`${app.url}${path}`)
      expect(response.status).toBe(200)
      expect(response.headers.get('cache-control')).toBe('public, max-age=45')
      expect(await response.json()).toEqual(keys.jwks())
      expect((await fetch(`${app.url}${JWKS_PATH}`)).status).toBe(404)
    })
  })

  it('leaves other methods on the JWKS path to the app', async () => {
    const keys = await freshKeys()
    const { sender } = spiedSender(keys)
    await withApp(harness, { sender, keys }, async (app) => {
      const response = await fetch(`${app.url}${JWKS_PATH}`, { method: 'POST', body: '{}' })
      expect(response.status).toBe(404)
      expect(response.headers.get('cache-control') ?? '').not.toMatch(/max-age/)
    })
  })

  it('shows a rotation and an added key on the very next request', async () => {
    const keys = await freshKeys()
    const { sender } = spiedSender(keys)
    await withApp(harness, { sender, keys }, async (app) => {
      const [active, next] = kids(await readJwks(`${app.url}${JWKS_PATH}`))

      const promoted = keys.rotate()
      expect(promoted.kid).toBe(next)
      // The new active key first, the retired one still published for its tokens' lifetime.
      expect(kids(await readJwks(`${app.url}${JWKS_PATH}`))).toEqual([next, active])

      const added = await keys.add({ jwk: jwks[2]! })
      expect(kids(await readJwks(`${app.url}${JWKS_PATH}`))).toEqual([next, added.kid, active])
      expect(await readJwks(`${app.url}${JWKS_PATH}`)).toEqual(keys.jwks())
    })
  })

  it("lets a handler deliver with the sender the adapter exposes, signed with the set's active key", async () => {
    const keys = await freshKeys()
    const { sender, deliveries } = spiedSender(keys)
    await withApp(harness, { sender, keys }, async (app) => {
      const event = { type: 'order.shipped', order: 'ord_1042' }
      const webhookId = `evt_${harness.name.replace(/\W/g, '')}`
      const url = `${receiver.url}/hooks/${webhookId}`
      const response = await fetch(`${app.url}/emit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url, event, webhookId }),
      })
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({
        webhookId,
        status: 204,
        attempts: 1,
        response: '',
      } satisfies Emitted)

      expect(deliveries).toEqual([{ url, body: JSON.stringify(event), webhookId }])
      const delivered = receiver.requests.filter((request) => request.url?.endsWith(webhookId))
      expect(delivered).toHaveLength(1)
      const [request] = delivered
      expect(request?.headers['webhook-id']).toBe(webhookId)
      expect(JSON.parse(request?.body ?? '')).toEqual(event)
      const token = String(request?.headers['x-signature'])
      expect(tokenHeader(token)).toMatchObject({ alg: 'RS256', kid: keys.jwks().keys[0]?.kid })
    })
  })
})

/** Options a caller could pass by mistake; every one must throw a TypeError at once. */
function badOptions(keys: SigningKeySet, sender: Sender): Array<[string, unknown]> {
  return [
    ['no options', undefined],
    ['no sender', { keys }],
    ['a sender that is not one', { sender: { deliver() {} }, keys }],
    ['no keys', { sender }],
    ['keys that are not a key set', { sender, keys: { keys: [] } }],
    ['a relative path', { sender, keys, path: 'jwks.json' }],
    ['a path that is not a string', { sender, keys, path: 42 }],
    ['a negative maxAge', { sender, keys, maxAge: -1 }],
    ['a fractional maxAge', { sender, keys, maxAge: 1.5 }],
    ['a maxAge in a string', { sender, keys, maxAge: '300' }],
  ]
}

async function listen(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

describe.each(expressMajors)('@hookseal/express sending side ($name)', ({ express }) => {
  it('throws a TypeError for bad options, before touching the app', async () => {
    const keys = await freshKeys()
    const { sender } = spiedSender(keys)
    for (const [name, options] of badOptions(keys, sender)) {
      const app = express()
      expect(() => publishWebhookSender(app, options as PublishWebhookSenderOptions), name).toThrow(
        TypeError,
      )
      expect(app.locals.webhooks, name).toBeUndefined()
    }
    expect(() => publishWebhookSender({} as never, { sender, keys })).toThrow(TypeError)
    expect(() => expressJwksHandler(keys, { maxAge: -5 })).toThrow(TypeError)
    expect(() => expressJwksHandler({} as SigningKeySet)).toThrow(TypeError)
  })

  it('exposes the sender as app.locals.webhooks, and on res.locals in routers and sub-apps', async () => {
    const keys = await freshKeys()
    const { sender } = spiedSender(keys)
    const app = express()
    publishWebhookSender(app, { sender, keys })
    expect(app.locals.webhooks).toBe(sender)

    const router = express.Router()
    router.get('/seen', (req, res) => {
      res.json({ app: req.app.locals.webhooks === sender, res: res.locals.webhooks === sender })
    })
    const subApp = express()
    subApp.get('/seen', (_req, res) => {
      res.json({ res: res.locals.webhooks === sender })
    })
    app.use('/router', router)
    app.use('/sub', subApp)

    const server = await listen(createServer(app))
    try {
      expect(await (await fetch(`${server.url}/router/seen`)).json()).toEqual({
        app: true,
        res: true,
      })
      expect(await (await fetch(`${server.url}/sub/seen`)).json()).toEqual({ res: true })
    } finally {
      await server.close()
    }
  })

  it("serves the JWKS with jwksHandler from a router of the app's own", async () => {
    const keys = await freshKeys()
    const app = express()
    const router = express.Router()
    router.get('/current.json', expressJwksHandler(keys, { maxAge: 60 }))
    app.use('/keys', router)
    const server = await listen(createServer(app))
    try {
      const response = await fetch(`${server.url}/keys/current.json`)
      expect(response.headers.get('content-type')).toBe(JWKS_TYPE)
      expect(response.headers.get('cache-control')).toBe('public, max-age=60')
      expect(await response.json()).toEqual(keys.jwks())
    } finally {
      await server.close()
    }
  })
})

describe.each(koaMajors)('@hookseal/koa sending side ($name)', ({ Koa }) => {
  it('throws a TypeError for bad options, before touching the app', async () => {
    const keys = await freshKeys()
    const { sender } = spiedSender(keys)
    for (const [name, options] of badOptions(keys, sender)) {
      const app = new Koa()
      expect(() => publishKoaWebhookSender(app, options as KoaPublishOptions), name).toThrow(
        TypeError,
      )
      expect(app.context.webhooks, name).toBeUndefined()
      expect(app.middleware, name).toHaveLength(0)
    }
    expect(() => publishKoaWebhookSender({} as never, { sender, keys })).toThrow(TypeError)
    expect(() => jwksMiddleware(keys, { path: 'jwks' })).toThrow(TypeError)
    expect(() => jwksMiddleware(keys, { maxAge: -1 })).toThrow(TypeError)
    expect(() => koaJwksHandler({} as SigningKeySet)).toThrow(TypeError)
  })

  it('exposes the sender as ctx.webhooks to middleware mounted before and after it', async () => {
    const keys = await freshKeys()
    const { sender } = spiedSender(keys)
    const app = new Koa()
    const seen: boolean[] = []
    app.use(async (ctx, next) => {
      seen.push(ctx.webhooks === sender)
      await next()
    })
    publishKoaWebhookSender(app, { sender, keys })
    app.use((ctx) => {
      ctx.body = { after: ctx.webhooks === sender }
    })
    const server = await startApp(app)
    try {
      expect(await (await fetch(`${server.url}/anything`)).json()).toEqual({ after: true })
      expect(seen).toEqual([true])
    } finally {
      await server.close()
    }
  })

  it('serves the JWKS with jwksHandler on a router, and jwksMiddleware passes other paths on', async () => {
    const keys = await freshKeys()
    const app = new Koa()
    app.use(jwksMiddleware(keys, { path: '/a.json', maxAge: 10 }))
    const router = new Router()
    router.get('/b.json', koaJwksHandler(keys, { maxAge: 20 }))
    app.use(router.routes())
    app.use((ctx) => {
      ctx.body = 'the rest of the app'
    })
    const server = await startApp(app)
    try {
      for (const [path, maxAge] of [
        ['/a.json', 10],
        ['/b.json', 20],
      ] as const) {
        const response = await fetch(`${server.url}${path}`)
        expect(response.headers.get('content-type')).toBe(JWKS_TYPE)
        expect(response.headers.get('cache-control')).toBe(`public, max-age=${maxAge}`)
        expect(await response.json()).toEqual(keys.jwks())
      }
      expect(await (await fetch(`${server.url}/a.json/more`)).text()).toBe('the rest of the app')
    } finally {
      await server.close()
    }
  })
})

describe.each(fastifyMajors)('@hookseal/fastify sending side ($name)', ({ Fastify }) => {
  it('rejects registration with a TypeError for bad options', async () => {
    const keys = await freshKeys()
    const { sender } = spiedSender(keys)
    for (const [name, options] of badOptions(keys, sender).slice(1)) {
      const app = Fastify()
      await expect(
        app.register(hooksealSender, options as HooksealSenderOptions).ready(),
        name,
      ).rejects.toThrow(TypeError)
      expect(app.hasDecorator('webhooks'), name).toBe(false)
    }
    expect(() => fastifyJwksHandler(keys, { maxAge: -1 })).toThrow(TypeError)
    expect(() => fastifyJwksHandler({} as SigningKeySet)).toThrow(TypeError)
  })

  it('decorates the app it is registered in, so that encapsulated plugins reach the sender', async () => {
    const keys = await freshKeys()
    const { sender } = spiedSender(keys)
    const app = Fastify()
    await app.register(hooksealSender, { sender, keys })
    await app.register(async (child) => {
      child.get('/seen', async function (request) {
        return { this: this.webhooks === sender, server: request.server.webhooks === sender }
      })
    })
    expect(app.webhooks).toBe(sender)
    const response = await app.inject({ method: 'GET', url: '/seen' })
    expect(response.json()).toEqual({ this: true, server: true })
    await app.close()
  })

  it('refuses to be registered twice in one scope', async () => {
    const keys = await freshKeys()
    const { sender } = spiedSender(keys)
    const app = Fastify()
    await app.register(hooksealSender, { sender, keys })
    await expect(
      app.register(hooksealSender, { sender, keys, path: '/other.json' }).ready(),
    ).rejects.toThrow(/webhooks/)
  })

  it('serves the JWKS from a route of the app’s own with jwksHandler', async () => {
    const keys = await freshKeys()
    const app = Fastify()
    app.get('/keys.json', fastifyJwksHandler(keys, { maxAge: 90 }))
    const response = await app.inject({ method: 'GET', url: '/keys.json' })
    expect(response.headers['content-type']).toBe(JWKS_TYPE)
    expect(response.headers['cache-control']).toBe('public, max-age=90')
    expect(response.json()).toEqual(keys.jwks())
    await app.close()
  })
})
