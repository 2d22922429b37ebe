/**
 * A receiver and a sender on loopback: the sender publishes its JWKS and signs a webhook, the
 * receiver verifies it, then refuses a tampered body and a replay, each with its code and status.
 */
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT } from 'jose'
import { createVerifier, WebhookError } from '@hookseal/core'

const ISSUER = 'https://partner.example'
const AUDIENCE = 'https://receiver.example/webhooks'

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const jwks = {
  keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'demo-1', alg: 'RS256', use: 'sig' }],
}

const jwksServer = createServer((_req, res) => {
  res.setHeader('content-type', 'application/jwk-set+json')
  res.setHeader('cache-control', 'max-age=600')
  res.end(JSON.stringify(jwks))
})
await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))
const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`

const verifier = createVerifier({
  issuers: [{ issuer: ISSUER, jwksUri, audience: AUDIENCE }],
  allowInsecureHttp: true, // the demo's JWKS is plain http on loopback; real senders use https
})

async function signWebhook(body: string): Promise<string> {
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

async function deliver(label: string, token: string | undefined, body: string): Promise<void> {
  try {
    const webhook = await verifier.verify({
      method: 'POST',
      url: AUDIENCE,
      headers: token === undefined ? {} : { 'x-signature': token },
      body: Buffer.from(body),
    })
    console.log(`${label}: accepted from ${webhook.issuer} (kid ${webhook.kid}, id ${webhook.id})`)
  } catch (error) {
    if (!(error instanceof WebhookError)) throw error
    console.log(`${label}: refused ${error.status} ${error.code} (${error.message})`)
  }
}

const body = JSON.stringify({ type: 'invoice.paid', invoice: 'in_1042', amount: 1200 })
const token = await signWebhook(body)

console.log(`JWKS published at ${jwksUri}\n`)
await deliver('signed webhook     ', token, body)
await deliver('tampered body      ', await signWebhook(body), body.replace('1200', '9999'))
await deliver('replayed webhook   ', token, body)
await deliver('no signature header', undefined, body)

jwksServer.close()
