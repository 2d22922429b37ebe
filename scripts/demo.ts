/**
 * One sender app and three receivers on loopback. The sender (Express) publishes its JWKS and
 * delivers signed webhooks from a route; an Express, a Koa and a Fastify receiver, each set up as in
 * the README, verify them against that JWKS. The demo then shows a forged, a tampered and a
 * replayed webhook refused by each receiver, rotates the sender's key mid-run, keeps delivering,
 * and prints a summary.
 */
import { generateKeyPairSync } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import { createVerifier } from '@hookseal/core'
import { createSender, createSigner, loadKeySet } from '@hookseal/core/send'
import type { Verifier } from '@hookseal/core'
import type { DeadLetter, Signer } from '@hookseal/core/send'
import { keepRawBody, publishWebhookSender, webhookVerifier } from '@hookseal/express'
import hooksealFastify from '@hookseal/fastify'
import { webhookVerifier as koaWebhookVerifier } from '@hookseal/koa'

const ISSUER = 'https://shop.example'
const AUDIENCE = 'https://receiver.example/webhooks'

function newPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    }),
  )
}

// The sender: an active key and the next one, published ahead of the rotation.
const keys = await loadKeySet({
  keys: [
    { pem: newPem(), state: 'active' },
    { pem: newPem(), state: 'next' },
  ],
})
const signer = createSigner({ issuer: ISSUER, keys })
const deadLetters: DeadLetter[] = []
const sender = createSender({
  signer,
  onDeadLetter: (letter) => void deadLetters.push(letter),
  // The demo's receivers are plain http on loopback; real ones are https on public addresses.
  allowInsecureHttp: true,
  allowPrivateAddresses: ['127.0.0.1'],
})
const senderApp = express()
publishWebhookSender(senderApp, { sender, keys })
senderApp.post('/emit', express.json(), (req, res, next) => {
  const { url, event } = req.body as { url: string; event: unknown }
  req.app.locals.webhooks
    .send({ url, audience: AUDIENCE, body: JSON.stringify(event) })
    .then((result) => res.json({ status: result.status, webhookId: result.webhookId }), next)
})
const senderServer = createServer(senderApp)
const senderUrl = await listen(senderServer)
const jwksUri = `${senderUrl}/.well-known/jwks.json`

function newVerifier(): Verifier {
  return createVerifier({
    issuers: [{ issuer: ISSUER, jwksUri, audience: AUDIENCE }],
    allowInsecureHttp: true, // the demo's JWKS is plain http on loopback
  })
}

const received: Record<string, string[]> = { express: [], koa: [], fastify: [] }

async function startExpressReceiver(): Promise<{ url: string; close: () => void }> {
  const app = express()
  app.use(express.json({ verify: keepRawBody }))
  app.post('/webhooks', webhookVerifier({ verifier: newVerifier() }), (req, res) => {
    received.express?.push(req.webhook?.kid ?? '')
    res.sendStatus(204)
  })
  const server = createServer(app)
  return { url: `${await listen(server)}/webhooks`, close: () => server.close() }
}

async function startKoaReceiver(): Promise<{ url: string; close: () => void }> {
  const app = new Koa()
  const webhooks = new Router()
  webhooks.post('/webhooks', koaWebhookVerifier({ verifier: newVerifier() }), (ctx) => {
    received.koa?.push(ctx.state.webhook.kid)
    ctx.status = 204
  })
  app.use(webhooks.routes())
  app.use(bodyParser())
  const server = createServer(app.callback())
  return { url: `${await listen(server)}/webhooks`, close: () => server.close() }
}

async function startFastifyReceiver(): Promise<{ url: string; close: () => void }> {
  const app = Fastify()
  await app.register(hooksealFastify, { verifier: newVerifier() })
  app.post('/webhooks', { config: { webhook: true } }, async (request, reply) => {
    received.fastify?.push(request.webhook?.kid ?? '')
    return reply.code(204).send()
  })
  const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/webhooks`
  return { url, close: () => void app.close() }
}

/** Asks the sender app to deliver one event; answers with the receiver's status. */
async function emit(url: string, n: number): Promise<string> {
  const event = { type: 'invoice.paid', invoice: `in_${1000 + n}`, amount: 1200 }
  const response = await fetch(`${senderUrl}/emit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url, event }),
  })
  const answer = (await response.json()) as { status?: number }
  return `delivered, receiver answered ${answer.status}`
}

/** Posts a body with headers straight to a receiver, as an attacker would. */
async function post(url: string, body: string, headers: Record<string, string>): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  })
  const text = await response.text()
  const code = text === '' ? 'accepted' : (JSON.parse(text) as { code?: string }).code
  return `${response.status} ${code}`
}

const forger: Signer = createSigner({
  issuer: ISSUER,
  keys: await loadKeySet({ keys: [{ pem: newPem() }] }),
})
const receivers = {
  express: await startExpressReceiver(),
  koa: await startKoaReceiver(),
  fastify: await startFastifyReceiver(),
}
const refusals: Record<string, number> = {}
function refused(line: string): string {
  const code = line.split(' ')[1] ?? line
  refusals[code] = (refusals[code] ?? 0) + 1
  return line
}

console.log(`sender app at ${senderUrl}, JWKS at ${jwksUri}`)
console.log(`signing key ${keys.keys().find((key) => key.state === 'active')?.kid}\n`)
let n = 0
for (const [name, receiver] of Object.entries(receivers)) {
  const body = JSON.stringify({ type: 'invoice.paid', invoice: 'in_999', amount: 1200 })
  const signedFor = { body, url: receiver.url, audience: AUDIENCE }
  const genuine = await signer.sign(signedFor)
  console.log(`${name} receiver at ${receiver.url}`)
  console.log(`  signed webhook    → ${await emit(receiver.url, n++)}`)
  console.log(
    `  forged signature  → ${refused(await post(receiver.url, body, await forger.sign(signedFor)))}`,
  )
  console.log(
    `  tampered body     → ${refused(await post(receiver.url, body.replace('1200', '9999'), genuine))}`,
  )
  console.log(`  first delivery    → ${await post(receiver.url, body, genuine)}`)
  console.log(`  replayed webhook  → ${refused(await post(receiver.url, body, genuine))}\n`)
}

const rotated = keys.rotate()
console.log(`rotated: now signing with ${rotated.kid}`)
for (const [name, receiver] of Object.entries(receivers)) {
  console.log(`  ${name.padEnd(8)} → ${await emit(receiver.url, n++)}`)
}

console.log('\nsummary')
for (const [name, kids] of Object.entries(received)) {
  console.log(
    `  ${name.padEnd(8)} accepted ${kids.length} webhooks, signed by ${new Set(kids).size} keys`,
  )
}
console.log(
  `  refused: ${Object.entries(refusals)
    .map(([code, count]) => `${code} ×${count}`)
    .join(', ')}`,
)
console.log(`  dead letters: ${deadLetters.length}`)

for (const receiver of Object.values(receivers)) receiver.close()
senderServer.close()
