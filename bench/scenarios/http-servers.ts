/**
 * The receivers of scenario 2, run in a process of their own (forked by `http.ts`) so that the
 * load generator never shares their event loop. Each contender is one app on its own port:
 * Express, Koa and Fastify with and without hookseal, and Express with express-jwt + jwks-rsa.
 * Every app answers the same route, POST /webhooks with a 1 KiB JSON body, with a 204.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import { createVerifier } from '@hookseal/core'
import type { Verifier } from '@hookseal/core'
import { keepRawBody, webhookVerifier as expressWebhookVerifier } from '@hookseal/express'
import hooksealFastify from '@hookseal/fastify'
import { webhookVerifier as koaWebhookVerifier } from '@hookseal/koa'
import express from 'express'
import { expressjwt } from 'express-jwt'
import type { Request as JwtRequest } from 'express-jwt'
import Fastify from 'fastify'
import jwksRsa from 'jwks-rsa'
import Koa from 'koa'
import { AUDIENCE, ISSUER, WEBHOOK_PATH, sha256Hex, serveBenchJwks } from '../lib/fixtures.js'
import type { JsonWebKey } from 'node:crypto'
import { TOKEN_LIFETIME } from '../lib/tokens.js'

export const HTTP_CONTENDERS = [
  'express',
  'express + hookseal',
  'koa',
  'koa + hookseal',
  'fastify',
  'fastify + hookseal',
  'express + express-jwt + jwks-rsa',
] as const
export type HttpContender = (typeof HTTP_CONTENDERS)[number]

/** Messages from this process to the one that forked it. */
export type ServerMessage =
  | { readonly type: 'ready'; readonly ports: Readonly<Record<HttpContender, number>> }
  | { readonly type: 'failed'; readonly error: string }

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

/** A fresh verifier per app: each keeps its own replay store, so a token pool can be reused. */
function newVerifier(jwksUri: string): Verifier {
  return createVerifier({
    issuers: [{ issuer: ISSUER, jwksUri, audience: AUDIENCE, maxTokenAge: TOKEN_LIFETIME }],
    allowInsecureHttp: true,
  })
}

function expressApp(verify: boolean, jwksUri: string): express.Express {
  const app = express()
  if (verify) {
    app.use(express.json({ verify: keepRawBody }))
    app.post(
      WEBHOOK_PATH,
      expressWebhookVerifier({ verifier: newVerifier(jwksUri) }),
      (_req, res) => {
        res.sendStatus(204)
      },
    )
  } else {
    app.use(express.json())
    app.post(WEBHOOK_PATH, (_req, res) => {
      res.sendStatus(204)
    })
  }
  return app
}

function koaApp(verify: boolean, jwksUri: string): Koa {
  const app = new Koa()
  const router = new Router()
  if (verify) {
    router.post(WEBHOOK_PATH, koaWebhookVerifier({ verifier: newVerifier(jwksUri) }), (ctx) => {
      ctx.status = 204
    })
    app.use(router.routes())
  } else {
    app.use(bodyParser())
    router.post(WEBHOOK_PATH, (ctx) => {
      ctx.status = 204
    })
    app.use(router.routes())
  }
  return app
}

async function fastifyApp(verify: boolean, jwksUri: string): Promise<number> {
  const app = Fastify()
  if (verify) {
    await app.register(hooksealFastify, { verifier: newVerifier(jwksUri) })
    app.post(WEBHOOK_PATH, { config: { webhook: true } }, (_request, reply) => {
      void reply.code(204).send()
    })
  } else {
    app.post(WEBHOOK_PATH, (_request, reply) => {
      void reply.code(204).send()
    })
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as AddressInfo).port
}

/**
 * The stack many Express apps use for JWTs, doing what hookseal checks except replay and htm/htu:
 * signature against the cached JWKS, iss, aud, exp, token age, then the body digest by hand.
 */
function expressJwtApp(jwksUri: string): express.Express {
  const rawBodies = new WeakMap<IncomingMessage, Buffer>()
  const app = express()
  app.use(express.json({ verify: (req, _res, buf) => rawBodies.set(req, buf) }))
  app.post(
    WEBHOOK_PATH,
    expressjwt({
      secret: jwksRsa.expressJwtSecret({ jwksUri, cache: true, rateLimit: true }),
      algorithms: ['RS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      maxAge: TOKEN_LIFETIME,
      clockTolerance: 30,
      getToken: (req) => req.header('x-signature'),
    }),
    (req: JwtRequest, res, next) => {
      const raw = rawBodies.get(req)
      if (raw === undefined || req.auth?.request_body_sha256 !== sha256Hex(raw)) {
        res.sendStatus(401)
        return
      }
      next()
    },
    (_req, res) => {
      res.sendStatus(204)
    },
  )
  app.use(
    (error: Error, _req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (res.headersSent) return next(error)
      res.sendStatus(401)
    },
  )
  return app
}

async function main(): Promise<void> {
  const keys = JSON.parse(process.argv[2] ?? '[]') as JsonWebKey[]
  const jwks = await serveBenchJwks(keys)
  const ports: Record<HttpContender, number> = {
    express: await listen(createServer(expressApp(false, jwks.url))),
    'express + hookseal': await listen(createServer(expressApp(true, jwks.url))),
    koa: await listen(createServer(koaApp(false, jwks.url).callback())),
    'koa + hookseal': await listen(createServer(koaApp(true, jwks.url).callback())),
    fastify: await fastifyApp(false, jwks.url),
    'fastify + hookseal': await fastifyApp(true, jwks.url),
    'express + express-jwt + jwks-rsa': await listen(createServer(expressJwtApp(jwks.url))),
  }
  process.send?.({ type: 'ready', ports } satisfies ServerMessage)
}

// Only when forked: `http.ts` imports the contender names from here too.
if (process.send !== undefined && process.argv[1]?.endsWith('http-servers.ts')) {
  // The parent going away (done or crashed) ends this process too.
  process.on('disconnect', () => process.exit(0))
  main().catch((error: unknown) => {
    process.send?.({ type: 'failed', error: String(error) } satisfies ServerMessage)
    process.exit(1)
  })
}
