/**
 * A sender and three receivers on loopback. The sender publishes its JWKS and signs webhooks; an
 * Express, a Koa and a Fastify receiver, each set up as in the README, verify them. Each receiver
 * gets a signed webhook, a tampered body, a replay and an unsigned request, and the demo prints
 * what each answered.
 */
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import express from 'express'
import Fastify from 'fastify'
import { SignJWT } from 'jose'
import Koa from 'koa'
import { createVerifier } from '@hookseal/core'
import type { Verifier } from '@hookseal/core'
import { keepRawBody, webhookVerifier as expressWebhookVerifier } from '@hookseal/express'
import hooksealFastify from '@hookseal/fastify'
import { webhookVerifier as koaWebhookVerifier } from '@hookseal/koa'

const ISSUER = 'https://partner.example'
// The receivers' public URL, as the sender knows it; each demo receiver listens on its own port.
const AUDIENCE = 'https://receiver.example/webhooks'

// The sender: one RS256 key, published as a JWKS.
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const jwks = {
  keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'demo-1', alg: 'RS256', use: 'sig' }],
}
const jwksServer = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=600' })
  res.end(JSON.stringify(jwks))
})
const jwksUri = `${await listen(jwksServer)}/.well-known/jwks.json`

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    }),
  )
}

function newVerifier(): Verifier {
  return createVerifier({
    issuers: [{ issuer: ISSUER, jwksUri, audience: AUDIENCE }],
    allowInsecureHttp: true, // the demo's JWKS is plain http on loopback; real senders use https
  })
}

async function startExpress(): Promise<{ url: string; close: () => void }> {
  const server = createServer()
  const url = `${await listen(server)}/webhooks`
  const app = express()
  app.use(express.json({ verify: keepRawBody }))
  app.post('/webhooks', expressWebhookVerifier({ verifier: newVerifier() }), (req, res) => {
    res.json({ received: req.webhook?.id })
  })
  server.on('request', app)
  return { url, close: () => server.close() }
}

async function startKoa(): Promise<{ url: string; close: () => void }> {
  const server = createServer()
  const url = `${await listen(server)}/webhooks`
  const app = new Koa()
  const webhooks = new Router()
  webhooks.post('/webhooks', koaWebhookVerifier({ verifier: newVerifier() }), (ctx) => {
    ctx.body = { received: ctx.state.webhook.id }
  })
  app.use(webhooks.routes())
  app.use(bodyParser())
  server.on('request', app.callback())
  return { url, close: () => server.close() }
}

async function startFastify(): Promise<{ url: string; close: () => void }> {
  const app = Fastify()
  await app.register(hooksealFastify, { verifier: newVerifier() })
  app.post('/webhooks', { config: { webhook: true } }, async (request) => ({
    received: request.webhook?.id,
  }))
  const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/webhooks`
  return { url, close: () => void app.close() }
}

async function sign(body: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({
    request_body_sha256: createHash('sha256').update(body).digest('hex'),
    htm: 'POST',
    htu: AUDIENCE,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'demo-1' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .setJti(randomUUID())
    .sign(privateKey)
}

async function deliver(url: string, body: string, token?: string): Promise<string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token !== undefined) headers['x-signature'] = token
  const response = await fetch(url, { method: 'POST', headers, body })
  const answer = (await response.json()) as { code?: string; received?: string }
  return `${response.status} ${answer.code ?? `received ${answer.received}`}`
}

const receivers = {
  express: await startExpress(),
  koa: await startKoa(),
  fastify: await startFastify(),
}

console.log(`sender's JWKS at ${jwksUri}\n`)
for (const [name, receiver] of Object.entries(receivers)) {
  const body = JSON.stringify({ type: 'invoice.paid', invoice: 'in_1042', amount: 1200 })
  const token = await sign(body)
  console.log(`${name} receiver at ${receiver.url}`)
  console.log(`  signed webhook      → ${await deliver(receiver.url, body, token)}`)
  const tampered = body.replace('1200', '9999')
  console.log(`  tampered body       → ${await deliver(receiver.url, tampered, await sign(body))}`)
  console.log(`  replayed webhook    → ${await deliver(receiver.url, body, token)}`)
  console.log(`  no signature header → ${await deliver(receiver.url, body)}\n`)
  receiver.close()
}
jwksServer.close()
