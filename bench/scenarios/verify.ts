/**
 * Scenario 1: one full verification in process, against what a user would write instead and against
 * the hardware limit, a bare `crypto.verify` of the same signature. Then one row per other inbound
 * scheme, each against its own limit (raw HMAC or Ed25519 on the same bytes) and, for Standard
 * Webhooks v1, the official library.
 */
import { createHmac, generateKeyPairSync, timingSafeEqual, verify } from 'node:crypto'
import { createMemoryReplayStore, createVerifier } from '@hookseal/core'
import { signOAuth1Request, signStandardWebhook } from '@hookseal/core/send'
import { Webhook } from 'standardwebhooks'
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
import { loadWebCore } from '../lib/web-core.js'
import { summarize } from '../lib/stats.js'
import type { Contender } from '../lib/measure.js'
import { signTokenPool, TOKEN_LIFETIME, webhookTemplate } from '../lib/tokens.js'

export const REFERENCE = 'crypto.verify'
export const HOOKSEAL = 'hookseal'
/** The same pipeline on the seam's WebCrypto side, as workerd, Deno, Bun and browsers run it. */
export const HOOKSEAL_WEBCRYPTO = 'hookseal (WebCrypto path)'
/** hookseal must keep at least this share of the reference's throughput. */
export const TARGET_RATIO = 0.8
/** Verifications in flight at once in the concurrent rows, as on a busy receiver. */
const CONCURRENCY = 32
export const HOOKSEAL_CONCURRENT = `hookseal ×${CONCURRENCY}`
export const JOSE_CONCURRENT = `jose.jwtVerify ×${CONCURRENCY}`

/** A throughput ratio a row must reach against another row of the same run. */
export interface VerifyTarget {
  readonly name: string
  readonly versus: string
  readonly ratio: number
  /** Median over rounds of the paired ratio. */
  readonly measured: number
  readonly met: boolean
}

const TARGETS: ReadonlyArray<Pick<VerifyTarget, 'name' | 'versus' | 'ratio'>> = [
  { name: HOOKSEAL, versus: REFERENCE, ratio: TARGET_RATIO },
  { name: HOOKSEAL_CONCURRENT, versus: REFERENCE, ratio: 1.2 },
  { name: HOOKSEAL_CONCURRENT, versus: JOSE_CONCURRENT, ratio: 1.5 },
]

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
  /** The contender this row is measured against, for rows of schemes other than JWT. */
  readonly baseline?: string
  /** Throughput relative to `baseline`, paired by round as `ratio` is. */
  readonly ratioToBaseline?: number
  /** The targets this row is held to, with what it reached. */
  readonly targets?: readonly VerifyTarget[]
}

export interface VerifyResult {
  readonly rounds: number
  readonly warmUpRounds: number
  readonly batch: number
  readonly bodyBytes: number
  readonly tokenBytes: number
  readonly reference: string
  readonly target: { readonly name: string; readonly ratio: number; readonly met: boolean }
  /** Every target of the scenario, met or not. */
  readonly targets: readonly VerifyTarget[]
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
    const until = Date.now() + 600_000
    const fullVerifier = async (core: {
      createMemoryReplayStore: typeof createMemoryReplayStore
      createVerifier: typeof createVerifier
    }) => {
      const replayStore = core.createMemoryReplayStore()
      for (let i = 0; i < REPLAY_STORE_ENTRIES; i++) {
        await replayStore.remember(`${ISSUER}\0prefill-${i}`, until)
      }
      return core.createVerifier({
        issuers: [
          { issuer: ISSUER, jwksUri: jwks.url, audience: AUDIENCE, maxTokenAge: TOKEN_LIFETIME },
        ],
        replayStore,
        allowInsecureHttp: true,
      })
    }
    const verifier = await fullVerifier({ createMemoryReplayStore, createVerifier })
    // Its own replay store: it sees the same tokens as the sequential row.
    const concurrentVerifier = await fullVerifier({ createMemoryReplayStore, createVerifier })
    const webVerifier = await fullVerifier(await loadWebCore())
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
      maxTokenAge: TOKEN_LIFETIME,
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
      maxAge: TOKEN_LIFETIME,
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
      {
        name: HOOKSEAL_CONCURRENT,
        concurrency: CONCURRENCY,
        run: (i) =>
          concurrentVerifier.verify({
            method: 'POST',
            url: WEBHOOK_PATH,
            headers: rawHeaders[i] as string[],
            body,
          }),
      },
      {
        name: HOOKSEAL_WEBCRYPTO,
        run: (i) =>
          webVerifier.verify({
            method: 'POST',
            url: WEBHOOK_PATH,
            headers: rawHeaders[i] as string[],
            body,
          }),
      },
      { name: 'jose.jwtVerify', run: joseVerify },
      { name: 'jose.jwtVerify ×8', run: joseVerify, concurrency: 8 },
      { name: JOSE_CONCURRENT, run: joseVerify, concurrency: CONCURRENCY },
      { name: 'jsonwebtoken + jwks-rsa', run: jsonwebtokenVerify },
      ...schemeContenders(count, body),
    ]

    // Fill every key cache (one JWKS fetch each) before anything is timed, on a token of its own.
    const warmToken = await signTokenPool(key, template, 1)
    for (const each of [verifier, concurrentVerifier, webVerifier]) {
      await each.verify({
        method: 'POST',
        url: WEBHOOK_PATH,
        headers: { 'x-signature': warmToken[0] as string },
        body,
      })
    }
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
      [HOOKSEAL_WEBCRYPTO]:
        'same pipeline, crypto.subtle on a key imported per fetch, @noble/hashes digest',
      'jose.jwtVerify': 'remote JWKS (cached) + digest compare',
      [HOOKSEAL_CONCURRENT]: `same pipeline, ${CONCURRENCY} in flight (signatures shared with the thread pool)`,
      'jose.jwtVerify ×8': 'same, 8 in flight (WebCrypto runs on the thread pool)',
      [JOSE_CONCURRENT]: `same, ${CONCURRENCY} in flight`,
      'jsonwebtoken + jwks-rsa': 'jwks-rsa cache + digest compare',
    }
    const pairedRatio = (r: (typeof results)[number], to: string): number | undefined => {
      const base = results.find((other) => other.name === to)
      if (base === undefined) return undefined
      return summarize(r.samples.map((micros, round) => (base.samples[round] as number) / micros))
        .median
    }
    const rows: VerifyRow[] = results.map((r) => ({
      name: r.name,
      note: notes[r.name] ?? SCHEME_NOTES[r.name] ?? '',
      ...(SCHEME_BASELINES[r.name] === undefined
        ? {}
        : {
            baseline: SCHEME_BASELINES[r.name],
            ratioToBaseline: pairedRatio(r, SCHEME_BASELINES[r.name] as string),
          }),
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
    const targets = TARGETS.map((target): VerifyTarget => {
      const row = results.find((r) => r.name === target.name)
      const measured = row === undefined ? Number.NaN : (pairedRatio(row, target.versus) as number)
      return { ...target, measured, met: measured >= target.ratio }
    })
    const hookseal = rows.find((r) => r.name === HOOKSEAL) as VerifyRow
    return {
      rounds: ROUNDS,
      warmUpRounds: WARM_UP_ROUNDS,
      batch: BATCH,
      bodyBytes: body.length,
      tokenBytes: token(0).length,
      reference: REFERENCE,
      target: { name: HOOKSEAL, ratio: TARGET_RATIO, met: hookseal.ratio >= TARGET_RATIO },
      targets,
      rows: rows.map((row) => {
        const own = targets.filter((target) => target.name === row.name)
        return own.length === 0 ? row : { ...row, targets: own }
      }),
    }
  } finally {
    await jwks.close()
  }
}

const SW_V1 = 'hookseal standard-webhooks v1'
const SW_OFFICIAL = 'standardwebhooks (official) v1'
const RAW_HMAC_SHA256 = 'createHmac sha256 + timingSafeEqual'
const SW_V1A = 'hookseal standard-webhooks v1a'
const RAW_ED25519 = 'crypto.verify Ed25519'
const OAUTH1 = 'hookseal oauth1 HMAC-SHA1'
const RAW_HMAC_SHA1 = 'createHmac sha1 + timingSafeEqual'

/** What each scheme row is a ratio to: the raw primitive on the same bytes. */
const SCHEME_BASELINES: Record<string, string> = {
  [HOOKSEAL_WEBCRYPTO]: HOOKSEAL,
  [SW_V1]: RAW_HMAC_SHA256,
  [SW_OFFICIAL]: RAW_HMAC_SHA256,
  [SW_V1A]: RAW_ED25519,
  [OAUTH1]: RAW_HMAC_SHA1,
}

const SCHEME_NOTES: Record<string, string> = {
  [SW_V1]: 'headers, HMAC-SHA256 over id.timestamp.body, window, replay',
  [SW_OFFICIAL]: 'Webhook.verify, jsonParse off (no replay check)',
  [RAW_HMAC_SHA256]: 'MAC of the signed content + compare: the v1 limit',
  [SW_V1A]: 'headers, Ed25519 over id.timestamp.body, window, replay',
  [RAW_ED25519]: 'signature only on the signed content: the v1a limit',
  [OAUTH1]: 'header parse, RFC 5849 base string, HMAC-SHA1, window, nonce replay',
  [RAW_HMAC_SHA1]: "MAC of each request's own base string + compare: the OAuth limit",
}

/**
 * The other inbound schemes, each on `count` requests signed ahead (one id or nonce each, so the
 * replay check passes), with Node's raw headers as an adapter hands them over.
 */
function schemeContenders(count: number, body: Buffer): Contender[] {
  const secret = `whsec_${Buffer.from('bench-secret-bench-secret-32byte').toString('base64')}`
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const whpk = `whpk_${Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('base64')}`
  const consumer = { key: 'bench-consumer', secret: 'bench-consumer-secret' }
  const url = 'https://receiver.example/webhooks'
  const verifier = createVerifier({
    senders: [
      { scheme: 'standard-webhooks', id: 'billing', secrets: [secret], publicKeys: [whpk] },
      {
        scheme: 'oauth1',
        id: 'mx',
        origin: 'https://receiver.example',
        consumers: (key) => (key === consumer.key ? { secret: consumer.secret } : undefined),
      },
    ],
  })
  const timestamp = Math.floor(Date.now() / 1000)
  const v1 = Array.from({ length: count }, (_, i) =>
    signStandardWebhook({ body, secrets: [secret], id: `msg_${i}`, timestamp }),
  )
  const v1a = Array.from({ length: count }, (_, i) =>
    signStandardWebhook({ body, privateKeys: [privateKey], id: `msg_a${i}`, timestamp }),
  )
  const oauth = Array.from({ length: count }, (_, i) =>
    signOAuth1Request({
      url,
      consumerKey: consumer.key,
      consumerSecret: consumer.secret,
      nonce: `nonce-${i}`,
      timestamp,
    }),
  )
  const raw = (headers: Record<string, string>): string[] => [
    'Host',
    'receiver.example',
    'Content-Type',
    'application/json',
    ...Object.entries(headers).flat(),
  ]
  const v1Raw = v1.map(raw)
  const v1aRaw = v1a.map(raw)
  const oauthRaw = oauth.map((authorization) => raw({ Authorization: authorization }))
  const request = (headers: string[]) => ({ method: 'POST', url: '/webhooks', headers, body })

  const official = new Webhook(secret)
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
  const content = (h: Record<string, string>): Buffer =>
    Buffer.concat([Buffer.from(`${h['webhook-id']}.${h['webhook-timestamp']}.`), body])
  const v1Signature = (h: Record<string, string>) =>
    Buffer.from((h['webhook-signature'] as string).slice(3), 'base64')
  const v1aSigned = v1a.map((h) => ({
    content: content(h),
    signature: Buffer.from((h['webhook-signature'] as string).slice(4), 'base64'),
  }))
  // The limit is the MAC of each request's own base string, as RFC 5849 builds it from the
  // parameters that request carries (all unreserved, so they encode to themselves).
  const oauthKey = `${consumer.secret}&`
  const oauthSigned = oauth.map((authorization, i) => ({
    base:
      `POST&${encodeURIComponent(url)}&` +
      encodeURIComponent(
        `oauth_consumer_key=${consumer.key}&oauth_nonce=nonce-${i}&` +
          `oauth_signature_method=HMAC-SHA1&oauth_timestamp=${timestamp}&oauth_version=1.0`,
      ),
    signature: Buffer.from(
      decodeURIComponent(/oauth_signature="([^"]+)"/.exec(authorization)?.[1] ?? ''),
      'base64',
    ),
  }))

  return [
    { name: SW_V1, run: (i) => verifier.verify(request(v1Raw[i] as string[])) },
    {
      name: SW_OFFICIAL,
      sync: true,
      run: (i) => official.verify(body, v1[i] as Record<string, string>, { jsonParse: false }),
    },
    {
      name: RAW_HMAC_SHA256,
      sync: true,
      run: (i) => {
        const h = v1[i] as Record<string, string>
        const mac = createHmac('sha256', key).update(content(h)).digest()
        if (!timingSafeEqual(mac, v1Signature(h))) throw new VerdictError('mac')
      },
    },
    { name: SW_V1A, run: (i) => verifier.verify(request(v1aRaw[i] as string[])) },
    {
      name: RAW_ED25519,
      sync: true,
      run: (i) => {
        const { content: signed, signature } = v1aSigned[i] as (typeof v1aSigned)[number]
        if (!verify(null, signed, publicKey, signature)) throw new VerdictError('sig')
      },
    },
    { name: OAUTH1, run: (i) => verifier.verify(request(oauthRaw[i] as string[])) },
    {
      name: RAW_HMAC_SHA1,
      sync: true,
      run: (i) => {
        const { base, signature } = oauthSigned[i] as (typeof oauthSigned)[number]
        const mac = createHmac('sha1', oauthKey).update(base).digest()
        if (!timingSafeEqual(mac, signature)) throw new VerdictError('mac')
      },
    },
  ]
}
