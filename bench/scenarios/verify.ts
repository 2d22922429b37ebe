/**
 * Scenario 1: one full verification in process, against what a user would write instead and against
 * the hardware limit, a bare `crypto.verify` of the same signature.
 */
import { verify } from 'node:crypto'
import { createMemoryReplayStore, createVerifier } from '@hookseal/core'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import jwt from 'jsonwebtoken'
import type { JwtPayload } from 'jsonwebtoken'
import jwksRsa from 'jwks-rsa'
import {
  AUDIENCE,
  ISSUER,
  WEBHOOK_PATH,
  generateSigningKey,
  sha256Hex,
  serveBenchJwks,
  webhookBody,
} from '../lib/fixtures.js'
import { compareInterleaved, inputsNeeded } from '../lib/measure.js'
import { summarize } from '../lib/stats.js'
import type { Contender } from '../lib/measure.js'
import { signTokenPool, webhookTemplate } from '../lib/tokens.js'

export const REFERENCE = 'crypto.verify'
export const HOOKSEAL = 'hookseal'
/** hookseal must keep at least this share of the reference's throughput. */
export const TARGET_RATIO = 0.8

export interface VerifyRow {
  readonly name: string
  readonly note: string
  readonly medianMicros: number
  readonly p25Micros: number
  readonly p75Micros: number
  readonly madMicros: number
  readonly opsPerSecond: number
  /** Throughput relative to the reference: median over rounds of reference time / this time. */
  readonly ratio: number
}

export interface VerifyResult {
  readonly rounds: number
  readonly warmUpRounds: number
  readonly batch: number
  readonly bodyBytes: number
  readonly tokenBytes: number
  readonly reference: string
  readonly target: { readonly name: string; readonly ratio: number; readonly met: boolean }
  readonly rows: readonly VerifyRow[]
}

const ROUNDS = 60
const WARM_UP_ROUNDS = 8
const BATCH = 250
/** Ids already in the replay store when measuring starts: the default store's size. */
const REPLAY_STORE_ENTRIES = 100_000

class VerdictError extends Error {}

export async function runVerifyScenario(log: (line: string) => void): Promise<VerifyResult> {
  const key = generateSigningKey('RS256', 'bench-2025')
  const body = webhookBody()
  const template = webhookTemplate(key, body)
  const options = { rounds: ROUNDS, warmUpRounds: WARM_UP_ROUNDS, batch: BATCH }
  const count = inputsNeeded(options)
  log(`signing ${count} RS256 tokens (one jti each)…`)
  const tokens = await signTokenPool(key, template, count)
  const token = (i: number): string => tokens[i] as string

  const jwks = await serveBenchJwks([key.jwk])
  try {
    // The limit: the signature check alone, on bytes already split and decoded.
    const signed = tokens.map((t) => {
      const lastDot = t.lastIndexOf('.')
      return {
        input: Buffer.from(t.slice(0, lastDot)),
        signature: Buffer.from(t.slice(lastDot + 1), 'base64url'),
      }
    })

    // hookseal as an adapter calls it: Node's raw headers, the raw body, a replay store in steady
    // state (the default store, full, so every new id also evicts the oldest).
    const replayStore = createMemoryReplayStore()
    const until = Date.now() + 600_000
    for (let i = 0; i < REPLAY_STORE_ENTRIES; i++) {
      await replayStore.remember(`${ISSUER}\0prefill-${i}`, until)
    }
    const verifier = createVerifier({
      issuers: [{ issuer: ISSUER, jwksUri: jwks.url, audience: AUDIENCE }],
      replayStore,
      allowInsecureHttp: true,
    })
    const rawHeaders = tokens.map((t) => [
      'Host',
      'receiver.example',
      'User-Agent',
      'partner-webhooks/1.0',
      'Content-Type',
      'application/json',
      'Content-Length',
      String(body.length),
      'X-Signature',
      t,
    ])

    // The references, each with the body digest compared as a user of them would have to.
    const checkDigest = (payload: Record<string, unknown>): void => {
      if (payload.request_body_sha256 !== sha256Hex(body)) throw new VerdictError('digest')
    }
    const joseKeys = createRemoteJWKSet(new URL(jwks.url))
    const joseOptions = {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['RS256'],
      maxTokenAge: 300,
      clockTolerance: 30,
    }
    const joseVerify = async (i: number): Promise<void> => {
      const { payload } = await jwtVerify(token(i), joseKeys, joseOptions)
      checkDigest(payload)
    }
    const jwksClient = jwksRsa({ jwksUri: jwks.url, cache: true, rateLimit: true })
    const getKey: jwt.GetPublicKeyOrSecret = (header, callback) => {
      jwksClient.getSigningKey(header.kid, (error, signingKey) =>
        callback(error, signingKey?.getPublicKey()),
      )
    }
    const jwtOptions: jwt.VerifyOptions & { complete?: false } = {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['RS256'],
      maxAge: 300,
      clockTolerance: 30,
    }
    const jsonwebtokenVerify = (i: number): Promise<void> =>
      new Promise((resolve, reject) => {
        jwt.verify(token(i), getKey, jwtOptions, (error, payload) => {
          if (error) return reject(error)
          checkDigest(payload as JwtPayload)
          resolve()
        })
      })

    const contenders: Contender[] = [
      {
        name: REFERENCE,
        sync: true,
        run: (i) => {
          const { input, signature } = signed[i] as (typeof signed)[number]
          if (!verify('sha256', input, key.publicKey, signature)) throw new VerdictError('sig')
        },
      },
      {
        name: HOOKSEAL,
        run: (i) =>
          verifier.verify({
            method: 'POST',
            url: WEBHOOK_PATH,
            headers: rawHeaders[i] as string[],
            body,
          }),
      },
      { name: 'jose.jwtVerify', run: joseVerify },
      { name: 'jose.jwtVerify ×8', run: joseVerify, concurrency: 8 },
      { name: 'jsonwebtoken + jwks-rsa', run: jsonwebtokenVerify },
    ]

    // Fill every key cache (one JWKS fetch each) before anything is timed, on a token of its own.
    const warmToken = await signTokenPool(key, template, 1)
    await verifier.verify({
      method: 'POST',
      url: WEBHOOK_PATH,
      headers: { 'x-signature': warmToken[0] as string },
      body,
    })
    await jwtVerify(warmToken[0] as string, joseKeys, joseOptions)
    await jwksClient.getSigningKey(key.kid)

    log(
      `${contenders.length} contenders, ${WARM_UP_ROUNDS} warm-up + ${ROUNDS} measured rounds ` +
        `of ${BATCH} verifications, interleaved…`,
    )
    const results = await compareInterleaved(contenders, options)
    const reference = results.find((r) => r.name === REFERENCE)
    if (!reference) throw new Error('no reference result')
    const notes: Record<string, string> = {
      [REFERENCE]: 'signature only, on pre-decoded bytes: the limit',
      [HOOKSEAL]: 'full pipeline: claims, htm/htu, body digest, replay (store full, 100k ids)',
      'jose.jwtVerify': 'remote JWKS (cached) + digest compare',
      'jose.jwtVerify ×8': 'same, 8 in flight (WebCrypto runs on the thread pool)',
      'jsonwebtoken + jwks-rsa': 'jwks-rsa cache + digest compare',
    }
    const rows: VerifyRow[] = results.map((r) => ({
      name: r.name,
      note: notes[r.name] ?? '',
      medianMicros: r.microsPerOp.median,
      p25Micros: r.microsPerOp.p25,
      p75Micros: r.microsPerOp.p75,
      madMicros: r.microsPerOp.mad,
      opsPerSecond: r.opsPerSecond,
      // Paired by round: each batch against the reference's batch of the same round, so that
      // drifts of a shared machine cancel out; the median over rounds.
      ratio: summarize(
        r.samples.map((micros, round) => (reference.samples[round] as number) / micros),
      ).median,
    }))
    const hookseal = rows.find((r) => r.name === HOOKSEAL) as VerifyRow
    return {
      rounds: ROUNDS,
      warmUpRounds: WARM_UP_ROUNDS,
      batch: BATCH,
      bodyBytes: body.length,
      tokenBytes: token(0).length,
      reference: REFERENCE,
      target: { name: HOOKSEAL, ratio: TARGET_RATIO, met: hookseal.ratio >= TARGET_RATIO },
      rows,
    }
  } finally {
    await jwks.close()
  }
}
