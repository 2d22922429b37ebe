import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import type { JsonWebKey, KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'
import type { JWTHeaderParameters, JWTPayload } from 'jose'

export type TestAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA'

/** A sender's key pair made at test time, with its public JWK as a JWKS would publish it. */
export interface TestKey {
  readonly kid: string
  readonly alg: TestAlgorithm
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  readonly jwk: JsonWebKey & { kid: string }
}

/** Generates a key for `alg`; RSA keys are 2048 bits unless `modulusLength` says otherwise. */
export function generateTestKey(
  alg: TestAlgorithm,
  kid: string = randomUUID(),
  modulusLength = 2048,
): TestKey {
  const { privateKey, publicKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength })
  return {
    kid,
    alg,
    privateKey,
    publicKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
  }
}

export function jwksOf(...keys: Array<{ jwk: object }>): { keys: object[] } {
  return { keys: keys.map((key) => key.jwk) }
}

export function sha256Hex(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex')
}

export interface SignOptions {
  key: TestKey
  claims?: JWTPayload
  /** Header parameters added to (or overriding) `{ alg, kid }`. */
  header?: Partial<JWTHeaderParameters> & Record<string, unknown>
}

/** Signs a JWT with jose, as a sender would. */
export function signToken({ key, claims = {}, header = {} }: SignOptions): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.privateKey)
}

/** Claims of a well-formed webhook token for `body`, valid now. */
export function webhookClaims(
  issuer: string,
  audience: string,
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): JWTPayload & Record<string, unknown> {
  return {
    iss: issuer,
    aud: audience,
    iat: nowSeconds,
    exp: nowSeconds + 300,
    jti: randomUUID(),
    request_body_sha256: sha256Hex(body),
  }
}

/** A POST to `/webhooks` carrying `token` in `X-Signature`, as an adapter hands it to `verify`. */
export function tokenRequest(
  token: string,
  body: string,
): { method: string; url: string; headers: Record<string, string>; body: Buffer } {
  return {
    method: 'POST',
    url: '/webhooks',
    headers: { 'x-signature': token },
    body: Buffer.from(body),
  }
}

/** Encodes JSON (or raw text) as a base64url token segment, for hand-made tokens. */
export function segment(value: object | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString(
    'base64url',
  )
}

/**
 * Signs a compact JWS by hand with node:crypto, for headers and keys jose refuses to sign with (an
 * unknown `crit`, a 1024-bit RSA key). RS256, ES256 and EdDSA keys only.
 */
export function signCompact(key: TestKey, header: object, payload: object): string {
  const input = `${segment({ alg: key.alg, kid: key.kid, ...header })}.${segment(payload)}`
  const signature =
    key.alg === 'EdDSA'
      ? sign(null, Buffer.from(input), key.privateKey)
      : sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}
