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
 * The same signature as {@link signWithKey}, made by the callback form of node:crypto's `sign`,
 * which runs on the libuv thread pool: the event loop keeps serving sockets meanwhile.
 */
export function signWithKeyInThreadPool(
  alg: SigningAlgorithm,
  key: KeyObject,
): ThreadPoolSignatureFunction {
  const [digest, keyInput] = signingParameters(alg, key)
  return (input) =>
    new Promise((resolve, reject) => {
      sign(digest, input, keyInput, (error, signature) => {
        if (error === null) resolve(signature)
        else reject(error)
      })
    })
}
