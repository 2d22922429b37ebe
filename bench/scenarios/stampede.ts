/**
 * Scenario 3: a JWKS stampede. Right after the sender rotates to a key the receiver has not seen,
 * 10,000 webhooks signed with it arrive at once. Counts the fetches the JWKS endpoint sees (the
 * target is one) and the time until every verification has settled.
 */
import { createVerifier } from '@hookseal/core'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import jwt from 'jsonwebtoken'
import jwksRsa from 'jwks-rsa'
import {
  AUDIENCE,
  ISSUER,
  WEBHOOK_PATH,
  generateSigningKey,
  serveBenchJwks,
  webhookBody,
} from '../lib/fixtures.js'
import type { JwksServer, SigningKey } from '../lib/fixtures.js'
import { signTokenPool, webhookTemplate } from '../lib/tokens.js'

const CONCURRENT = 10_000
/** Each JWKS response is held back this long, standing in for the trip to a real endpoint. */
const JWKS_DELAY_MS = 50

export interface StampedeRow {
  readonly name: string
  /** Fetches of the JWKS caused by the stampede (after the warm-up fetch). */
  readonly fetches: number
  readonly drainMs: number
  readonly accepted: number
  readonly refused: number
  /** The most common refusal, if any. */
  readonly refusal?: string
}

export interface StampedeResult {
  readonly concurrent: number
  readonly jwksDelayMs: number
  readonly target: { readonly name: string; readonly fetches: number; readonly met: boolean }
  readonly rows: readonly StampedeRow[]
}

type Verify = (token: string) => Promise<unknown>

interface Contender {
  readonly name: string
  /** Builds the verifier for a JWKS URL; its first use fetches the keys. */
  readonly create: (jwksUri: string) => Verify
}

function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, name } = error as { code?: unknown; name?: unknown }
    if (typeof code === 'string') return code
    if (typeof name === 'string') return name
  }
  return String(error)
}

async function stampede(
  contender: Contender,
  oldKey: SigningKey,
  newKey: SigningKey,
  warmToken: string,
  tokens: readonly string[],
): Promise<StampedeRow> {
  const jwks: JwksServer = await serveBenchJwks([oldKey.jwk], { delayMs: JWKS_DELAY_MS })
  try {
    const verify = contender.create(jwks.url)
    await verify(warmToken)
    jwks.setKeys({ keys: [oldKey.jwk, newKey.jwk] })
    const before = jwks.requestCount
    const start = process.hrtime.bigint()
    const outcomes = await Promise.allSettled(tokens.map((token) => verify(token)))
    const drainMs = Number(process.hrtime.bigint() - start) / 1e6
    const refusals = new Map<string, number>()
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') {
        const name = errorName(outcome.reason)
        refusals.set(name, (refusals.get(name) ?? 0) + 1)
      }
    }
    const refused = [...refusals.values()].reduce((sum, n) => sum + n, 0)
    const top = [...refusals].sort((a, b) => b[1] - a[1])[0]
    return {
      name: contender.name,
      fetches: jwks.requestCount - before,
      drainMs,
      accepted: outcomes.length - refused,
      refused,
      ...(top && { refusal: `${top[0]} ×${top[1]}` }),
    }
  } finally {
    await jwks.close()
  }
}

export async function runStampedeScenario(log: (line: string) => void): Promise<StampedeResult> {
  const body = webhookBody()
  const oldKey = generateSigningKey('RS256', 'before-rotation')
  const newKey = generateSigningKey('RS256', 'after-rotation')
  log(`signing ${CONCURRENT} RS256 tokens with the new key…`)
  const tokens = await signTokenPool(newKey, webhookTemplate(newKey, body), CONCURRENT)
  const [warmToken] = await signTokenPool(oldKey, webhookTemplate(oldKey, body), 1)

  const contenders: Contender[] = [
    {
      name: 'hookseal',
      create: (jwksUri) => {
        const verifier = createVerifier({
          issuers: [{ issuer: ISSUER, jwksUri, audience: AUDIENCE }],
          allowInsecureHttp: true,
        })
        return (token) =>
          verifier.verify({
            method: 'POST',
            url: WEBHOOK_PATH,
            headers: { 'content-type': 'application/json', 'x-signature': token },
            body,
          })
      },
    },
    {
      // jose's defaults: no refetch within 30 s of the last fetch, so a new kid is refused.
      name: 'jose createRemoteJWKSet',
      create: (jwksUri) => {
        const keys = createRemoteJWKSet(new URL(jwksUri))
        return (token) => jwtVerify(token, keys, { issuer: ISSUER, audience: AUDIENCE })
      },
    },
    {
      name: 'jose createRemoteJWKSet, cooldownDuration 0',
      create: (jwksUri) => {
        const keys = createRemoteJWKSet(new URL(jwksUri), { cooldownDuration: 0 })
        return (token) => jwtVerify(token, keys, { issuer: ISSUER, audience: AUDIENCE })
      },
    },
    {
      name: 'jsonwebtoken + jwks-rsa',
      create: (jwksUri) => {
        const client = jwksRsa({ jwksUri, cache: true, rateLimit: true })
        const getKey: jwt.GetPublicKeyOrSecret = (header, callback) => {
          client.getSigningKey(header.kid, (error, key) => callback(error, key?.getPublicKey()))
        }
        return (token) =>
          new Promise((resolve, reject) => {
            jwt.verify(token, getKey, { issuer: ISSUER, audience: AUDIENCE }, (error, payload) =>
              error ? reject(error) : resolve(payload),
            )
          })
      },
    },
  ]

  const rows: StampedeRow[] = []
  for (const contender of contenders) {
    log(`${contender.name}: ${CONCURRENT} verifications at once after the rotation…`)
    rows.push(await stampede(contender, oldKey, newKey, warmToken as string, tokens))
  }
  const hookseal = rows[0] as StampedeRow
  return {
    concurrent: CONCURRENT,
    jwksDelayMs: JWKS_DELAY_MS,
    target: {
      name: hookseal.name,
      fetches: 1,
      met: hookseal.fetches === 1 && hookseal.refused === 0,
    },
    rows,
  }
}
