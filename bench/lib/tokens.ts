import { randomUUID, sign } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { AUDIENCE, ISSUER, sha256Hex } from './fixtures.js'
import type { BenchAlgorithm, SigningKey } from './fixtures.js'

/**
 * Seconds a bench token stays acceptable: a run signs its tokens up front, and on a busy machine a
 * run outlasts the five minutes a sender would give them. Every verifier in the benches accepts
 * tokens this old; the age check costs the same whatever the limit.
 */
export const TOKEN_LIFETIME = 3600

/** What every token of a run claims, apart from its `jti` and `iat`. */
export interface TokenTemplate {
  readonly alg: BenchAlgorithm
  readonly kid: string
  readonly issuer: string
  readonly audience: string
  /** `htm` and `htu`: the request the token is for. */
  readonly method: string
  readonly url: string
  /** `request_body_sha256`: lowercase hex SHA-256 of the exact body. */
  readonly bodyDigest: string
  /** Seconds from `iat` to `exp`. */
  readonly lifetime: number
}

/**
 * The template of a webhook token for `body` signed with `key`: hookseal's issuer and audience, a
 * POST to the audience URL, the body's digest, and a lifetime of {@link TOKEN_LIFETIME}.
 */
export function webhookTemplate(key: SigningKey, body: Uint8Array): TokenTemplate {
  return {
    alg: key.alg,
    kid: key.kid,
    issuer: ISSUER,
    audience: AUDIENCE,
    method: 'POST',
    url: AUDIENCE,
    bodyDigest: sha256Hex(body),
    lifetime: TOKEN_LIFETIME,
  }
}

const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/**
 * Signs one compact JWT with every claim hookseal's own signer puts in: `iss`, `aud`, `iat`, `exp`,
 * a fresh `jti`, `request_body_sha256`, `htm` and `htu`.
 */
export function signToken(privateKey: KeyObject, template: TokenTemplate, iat: number): string {
  const header = encode({ alg: template.alg, kid: template.kid, typ: 'JWT' })
  const payload = encode({
    iss: template.issuer,
    aud: template.audience,
    iat,
    exp: iat + template.lifetime,
    jti: randomUUID(),
    request_body_sha256: template.bodyDigest,
    htm: template.method,
    htu: template.url,
  })
  const signingInput = `${header}.${payload}`
  const signature =
    template.alg === 'RS256'
      ? sign('sha256', Buffer.from(signingInput), privateKey)
      : sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' })
  return `${signingInput}.${signature.toString('base64url')}`
}

/** What a signing thread is asked for, and answers. */
export interface SignRequest {
  readonly count: number
  readonly iat: number
}
export interface SignWorkerData {
  readonly privateKey: KeyObject
  readonly template: TokenTemplate
}

/** A thread that signs tokens on request, so signing never competes with the thread measuring. */
export interface TokenSigner {
  sign(count: number, iat?: number): Promise<string[]>
  close(): Promise<void>
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/**
 * Starts a worker thread on `sign-worker.ts`. Worker threads do not inherit tsx's loader on Node 20,
 * so the thread registers it before importing the TypeScript entry.
 */
export function startTokenSigner(key: SigningKey, template: TokenTemplate): TokenSigner {
  const tsxApi = import.meta.resolve('tsx/esm/api')
  const entry = new URL('./sign-worker.ts', import.meta.url).href
  const workerData: SignWorkerData = { privateKey: key.privateKey, template }
  const worker = new Worker(
    `import(${JSON.stringify(tsxApi)}).then(({ register }) => {
      register()
      return import(${JSON.stringify(entry)})
    })`,
    { eval: true, workerData },
  )
  let failure: Error | undefined
  const waiting: Array<{ resolve: (tokens: string[]) => void; reject: (error: Error) => void }> = []
  worker.on('message', (tokens: string[]) => waiting.shift()?.resolve(tokens))
  worker.on('error', (error) => {
    failure = error
    for (const pending of waiting.splice(0)) pending.reject(error)
  })
  return {
    sign(count, iat = nowSeconds()) {
      if (failure) return Promise.reject(failure)
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject })
        worker.postMessage({ count, iat } satisfies SignRequest)
      })
    },
    async close() {
      await worker.terminate()
    },
  }
}

/**
 * Signs `count` distinct tokens (one `jti` each) on every core at once: RS256 signing costs about
 * a quarter of a millisecond per token, ten times a verification.
 */
export async function signTokenPool(
  key: SigningKey,
  template: TokenTemplate,
  count: number,
): Promise<string[]> {
  const threads = Math.max(1, Math.min(availableParallelism(), 8))
  const signers = Array.from({ length: threads }, () => startTokenSigner(key, template))
  const chunk = 1000
  const iat = nowSeconds()
  const chunks: Array<Promise<string[]>> = []
  try {
    for (let start = 0, i = 0; start < count; start += chunk, i++) {
      const signer = signers[i % threads] as TokenSigner
      chunks.push(signer.sign(Math.min(chunk, count - start), iat))
    }
    return (await Promise.all(chunks)).flat()
  } finally {
    await Promise.all(signers.map((signer) => signer.close()))
  }
}
