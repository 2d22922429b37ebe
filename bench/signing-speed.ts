/**
 * `pnpm bench:signing`: what one
 * signed delivery attempt costs with hookseal's signer (node:crypto on KeyObjects imported at load
 * time) against jose's SignJWT on the same KeyObject, both making the same claims. The two run
 * alternately, one call each, and each call is timed alone: on a shared machine, load that comes
 * and goes then hits both equally instead of whichever happened to run during it.
 */
import { createHash, randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { generateKeyPairSync } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { createSigner, loadKeySet } from '@hookseal/core/send'
import type { SigningAlgorithm } from '@hookseal/core/send'

const ISSUER = 'https://sender.example'
const URL_SENT = 'https://receiver.example/webhooks'
const BODY = JSON.stringify({ type: 'invoice.paid', invoice: 'in_1042', amount: 1200 })
const CALLS = Number(process.env.SIGN_CALLS ?? 6000)
const ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA']

function privateKeyFor(alg: SigningAlgorithm): KeyObject {
  if (alg === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  return generateKeyPairSync('ed25519').privateKey
}

function percentile(sorted: readonly number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? NaN
}

console.log(`${CALLS} calls each, alternating; times in µs per call`)
for (const alg of ALGORITHMS) {
  const privateKey = privateKeyFor(alg)
  const keys = await loadKeySet({
    keys: [{ pem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, kid: 'bench' }],
  })
  const signer = createSigner({ issuer: ISSUER, keys })
  const contenders = {
    'hookseal (node:crypto)': () => signer.sign({ body: BODY, url: URL_SENT }),
    'jose SignJWT': () => {
      const iat = Math.floor(Date.now() / 1000)
      return new SignJWT({
        htm: 'POST',
        htu: URL_SENT,
        request_body_sha256: createHash('sha256').update(BODY).digest('hex'),
      })
        .setProtectedHeader({ alg, kid: 'bench', typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(URL_SENT)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 300)
        .setJti(randomUUID())
        .sign(privateKey)
    },
  }
  const times = new Map(Object.keys(contenders).map((name) => [name, [] as number[]]))
  for (let i = 0; i < CALLS; i++) {
    for (const [name, sign] of Object.entries(contenders)) {
      const start = process.hrtime.bigint()
      await sign()
      times.get(name)?.push(Number(process.hrtime.bigint() - start) / 1000)
    }
  }
  for (const [name, samples] of times) {
    const sorted = samples.sort((a, b) => a - b)
    const median = percentile(sorted, 0.5)
    console.log(
      `${alg.padEnd(6)} ${name.padEnd(23)} min ${percentile(sorted, 0).toFixed(0).padStart(4)}` +
        `  median ${median.toFixed(0).padStart(4)}  p99 ${percentile(sorted, 0.99).toFixed(0).padStart(5)}` +
        `  ≈ ${Math.round(1e6 / median)} ops/s`,
    )
  }
}
