import { calculateJwkThumbprint } from 'jose'
import { importJwk } from '../keys/import-jwk.js'
import { keyMisfitReason } from '../keys/key-fits-algorithm.js'
import { isUsable } from '../keys/verification-key.js'
import { verifySignature } from '../lib/verify-signature.js'
import type {
  PrivateKeySource,
  PublicSigningJwk,
  SigningAlgorithm,
  SigningKeySettings,
} from './key-set-types.js'
import type { Fail } from '../lib/fail-with.js'
import { publicKeyMembers, publicSigningJwk } from './public-jwk.js'
import { readPrivateKey } from './read-private-key.js'
import { algorithmForKey, isSigningAlgorithm } from './signing-algorithm.js'
import { signWithKey, signWithKeyInThreadPool } from './sign-with-key.js'
import type { SignatureFunction, ThreadPoolSignatureFunction } from './sign-with-key.js'

/** The verifier refuses longer kids; a key published under one could never be used. */
const MAX_KID_LENGTH = 256
const PROBE = Buffer.from('hookseal key check')
const KEY_TYPE: Readonly<Record<SigningAlgorithm, string>> = {
  RS256: 'an RSA key',
  ES256: 'a P-256 key',
  EdDSA: 'an Ed25519 key',
}

/** A private key ready to sign: its kid, algorithm, published JWK and encoded JWS header. */
export interface PreparedSigningKey {
  readonly kid: string
  readonly alg: SigningAlgorithm
  readonly jwk: PublicSigningJwk
  /** The base64url protected header `{ alg, kid, typ: 'JWT' }`, the same for every token. */
  readonly header: string
  readonly sign: SignatureFunction
  /** The same signature, made on the libuv thread pool; undefined where that costs more. */
  readonly signInThreadPool: ThreadPoolSignatureFunction | undefined
}

/**
 * Reads a private key and settles its kid and algorithm, then refuses it unless a hookseal receiver
 * would accept its published JWK for that algorithm and that JWK verifies the key's own signature:
 * a key is rejected when it is loaded, not by every receiver afterwards.
 */
export async function prepareSigningKey(
  input: PrivateKeySource & SigningKeySettings,
  fail: Fail,
): Promise<PreparedSigningKey> {
  const material = await readPrivateKey(input, fail)
  const { keyObject } = material

  const keyAlg = algorithmForKey(keyObject)
  if (keyAlg === undefined) {
    const curve = keyObject.asymmetricKeyDetails?.namedCurve
    fail(
      `a ${keyObject.asymmetricKeyType}${curve === undefined ? '' : ` ${curve}`} key cannot sign ` +
        'webhooks; use RSA (2048 bits or more), P-256 or Ed25519',
    )
  }
  const alg = chooseAlgorithm(input.alg, material.alg, keyAlg, fail)
  if (material.use !== undefined && material.use !== 'sig') {
    fail(`the JWK's use is ${JSON.stringify(material.use)}, not "sig"`)
  }
  if (
    material.keyOps !== undefined &&
    !(Array.isArray(material.keyOps) && material.keyOps.includes('sign'))
  ) {
    fail('the JWK\'s key_ops do not include "sign"')
  }

  const members = publicKeyMembers(keyObject, alg)
  const kid = input.kid ?? material.kid ?? (await calculateJwkThumbprint(members, 'sha256'))
  if (typeof kid !== 'string' || kid === '' || kid.length > MAX_KID_LENGTH) {
    fail(`kid must be a non-empty string of at most ${MAX_KID_LENGTH} characters`)
  }

  const jwk = publicSigningJwk(members, kid, alg)
  const published = importJwk({ ...jwk }, kid)
  const misfit = isUsable(published) ? keyMisfitReason(published, alg) : published.unusableReason
  if (misfit !== undefined || !isUsable(published)) fail(`key ${kid}: ${misfit}`)

  const sign = signWithKey(alg, keyObject)
  if (!verifySignature(alg, published.keyObject, PROBE, sign(PROBE))) {
    fail(`key ${kid}: its public part does not verify its own signatures (an inconsistent JWK)`)
  }

  const header = Buffer.from(JSON.stringify({ alg, kid, typ: 'JWT' })).toString('base64url')
  return { kid, alg, jwk, header, sign, signInThreadPool: signWithKeyInThreadPool(alg, keyObject) }
}

function chooseAlgorithm(
  requested: unknown,
  fromJwk: unknown,
  keyAlg: SigningAlgorithm,
  fail: Fail,
): SigningAlgorithm {
  for (const [name, value] of [
    ['alg', requested],
    ["the JWK's alg", fromJwk],
  ] as const) {
    if (value === undefined) continue
    if (typeof value === 'string' && /^HS/i.test(value)) {
      fail(`${name} ${value} is HMAC: receivers verify with public keys; use RS256, ES256 or EdDSA`)
    }
    if (!isSigningAlgorithm(value)) {
      fail(`${name} ${JSON.stringify(value)} is not supported; use RS256, ES256 or EdDSA`)
    }
  }
  if (requested !== undefined && fromJwk !== undefined && requested !== fromJwk) {
    fail(`alg ${String(requested)} contradicts the JWK's alg ${String(fromJwk)}`)
  }
  const alg = (requested ?? fromJwk ?? keyAlg) as SigningAlgorithm
  if (alg !== keyAlg) fail(`${KEY_TYPE[keyAlg]} signs ${keyAlg}, not ${alg}`)
  return alg
}
