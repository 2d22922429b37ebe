/**
 * `pnpm bench`: the cost of one full webhook verification against the references it is built from,
 * on keys and tokens made here and a JWKS served on loopback. Never part of `pnpm test`.
 */
import { createHash, generateKeyPairSync, randomUUID, verify } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose'
import { createVerifier } from '@hookseal/core'
import { measure } from './measure.js'

const ISSUER = 'https://partner.example'
const AUDIENCE = 'https://receiver.example/webhooks'
const OPS = Number(process.env.BENCH_OPS ?? 4000)

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256' }] }
const body = Buffer.from(JSON.stringify({ type: 'invoice.paid', invoice: 'in_1042', amount: 1200 }))
const digest = createHash('sha256').update(body).digest('hex')

const server = createServer((_req, res) => res.end(JSON.stringify(jwks)))
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`

// Every verification gets its own token: replay protection is on, as in production.
console.log(`signing ${OPS} tokens…`)
const now = Math.floor(Date.now() / 1000)
const tokens = await Promise.all(
  Array.from({ length: OPS }, () =>
    new SignJWT({ request_body_sha256: digest })
      .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .setJti(randomUUID())
      .sign(privateKey),
  ),
)
const at = (i: number) => tokens[i] as string

const verifier = createVerifier({
  issuers: [{ issuer: ISSUER, jwksUri, audience: AUDIENCE }],
  allowInsecureHttp: true,
})
const localJwks = createLocalJWKSet(jwks)
const first = at(0).split('.')
const signingInput = Buffer.from(`${first[0]}.${first[1]}`)
const signature = Buffer.from(first[2] as string, 'base64url')

const raw = await measure('crypto.verify (RS256, cached KeyObject)', OPS, () =>
  verify('sha256', signingInput, publicKey, signature),
)
const hookseal = await measure('hookseal verifier.verify (full pipeline)', OPS, (i) =>
  verifier.verify({ method: 'POST', url: '/webhooks', headers: { 'x-signature': at(i) }, body }),
)
const jose = await measure('jose.jwtVerify (local JWKS)', OPS, (i) =>
  jwtVerify(at(i), localJwks, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'] }),
)
server.close()

console.log(`\nNode ${process.version}, ${OPS} operations each, median of 10 batches\n`)
for (const result of [raw, hookseal, jose]) {
  const ratio = (result.microsPerOp / raw.microsPerOp).toFixed(2)
  console.log(
    `${result.name.padEnd(44)} ${result.microsPerOp.toFixed(1).padStart(8)} µs/op  ${ratio}× crypto.verify`,
  )
}
console.log(
  `\nhookseal is ${(jose.microsPerOp / hookseal.microsPerOp).toFixed(2)}× faster than jose.jwtVerify`,
)
