import { sign } from 'node:crypto'
import type { KeyObject, SignKeyObjectInput } from 'node:crypto'
import type { SigningAlgorithm } from './key-set-types.js'

/** Makes a raw JWS signature of a signing input. */
export type SignatureFunction = (signingInput: Buffer) => Buffer

/** Makes a raw JWS signature of a signing input on the libuv thread pool. */
export type ThreadPoolSignatureFunction = (signingInput: Buffer) => Promise<Buffer>

/** The digest and key input node:crypto's `sign` takes for each algorithm. */
function signingParameters(
  alg: SigningAlgorithm,
  key: KeyObject,
): [digest: string | null, key: KeyObject | SignKeyObjectInput] {
  switch (alg) {
    case 'RS256':
      return ['sha256', key]
    case 'ES256':
      // JWS wants r || s (RFC 7518 §3.4); node:crypto's default is DER, which receivers refuse.
      return ['sha256', { key, dsaEncoding: 'ieee-p1363' }]
    case 'EdDSA':
      return [null, key]
  }
}

/**
 * Binds a private key to the one way its algorithm signs, with node:crypto on the KeyObject imported
 * at load time: no key import and no WebCrypto round trip per token.
 */
export function signWithKey(alg: SigningAlgorithm, key: KeyObject): SignatureFunction {
  const [digest, keyInput] = signingParameters(alg, key)
  return (input) => sign(digest, input, keyInput)
}

/**
 * Algorithms whose signature is worth a trip to the thread pool. An RS256 signature (2048 bits)
 * takes about 240 µs of CPU; handing a job to a pool thread and taking its result back costs the
 * event loop tens of µs and a thread wake-up. ES256 (about 20 µs) and EdDSA cost less than that
 * trip: measured with 16 deliveries in flight, ES256 on the pool took more event-loop CPU per
 * delivery than signing in place, and delivered about half as many webhooks per second.
 */
const WORTH_THE_THREAD_POOL: ReadonlySet<SigningAlgorithm> = new Set(['RS256'])

/**
 * The same signature as {@link signWithKey}, made by the callback form of node:crypto's `sign`,
 * which runs on the libuv thread pool: the event loop keeps serving sockets meanwhile. Undefined
 * for an algorithm whose signature costs less than the trip to the pool.
 */
export function signWithKeyInThreadPool(
  alg: SigningAlgorithm,
  key: KeyObject,
): ThreadPoolSignatureFunction | undefined {
  if (!WORTH_THE_THREAD_POOL.has(alg)) return undefined
  const [digest, keyInput] = signingParameters(alg, key)
  return (input) =>
    new Promise((resolve, reject) => {
      sign(digest, input, keyInput, (error, signature) => {
        if (error === null) resolve(signature)
        else reject(error)
      })
    })
}
