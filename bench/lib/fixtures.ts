import { createHash, generateKeyPairSync } from 'node:crypto'
import type { JsonWebKey, KeyObject } from 'node:crypto'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'

export const ISSUER = 'https://partner.example'
export const WEBHOOK_PATH = '/webhooks'
/** The receiver's URL: the audience and the `htu` claim of every token. */
export const AUDIENCE = `https://receiver.example${WEBHOOK_PATH}`

export type BenchAlgorithm = 'RS256' | 'ES256'

export interface SigningKey {
  readonly alg: BenchAlgorithm
  readonly kid: string
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** The public key as its sender would publish it in a JWKS. */
  readonly jwk: JsonWebKey
}

/** A fresh key pair: RS256 with a 2048-bit modulus, or ES256 on P-256. */
export function generateSigningKey(alg: BenchAlgorithm, kid: string): SigningKey {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }
  return { alg, kid, privateKey, publicKey, jwk }
}

/**
 * A realistic webhook body of exactly 1 KiB: an `invoice.paid` event as a payment provider would
 * send it, compact JSON, padded in a free-text field to the size.
 */
export function webhookBody(size = 1024): Buffer {
  const event = {
    id: 'evt_1QmZ3r2eZvKYlo2C8x5T0aYb',
    type: 'invoice.paid',
    created: 1_735_689_600,
    api_version: '2024-12-01',
    livemode: false,
    data: {
      object: {
        id: 'in_1QmZ3q2eZvKYlo2CQeWk9sDl',
        customer: 'cus_R5x7y2mQpLk0Az',
        currency: 'eur',
        amount_due: 12_900,
        amount_paid: 12_900,
        status: 'paid',
        lines: [
          { id: 'il_1', description: 'Pro plan (monthly)', amount: 9_900, quantity: 1 },
          { id: 'il_2', description: 'Extra seats', amount: 3_000, quantity: 3 },
        ],
        billing_address: {
          line1: '12 Rue de la Paix',
          city: 'Paris',
          postal_code: '75002',
          country: 'FR',
        },
        metadata: { order_id: 'ord_48151623', channel: 'web' },
        memo: '',
      },
    },
  }
  const bare = Buffer.byteLength(JSON.stringify(event))
  if (bare > size) throw new RangeError(`the body template is already ${bare} bytes`)
  event.data.object.memo = 'Thank you for your business. '.repeat(8).padEnd(size - bare, '.')
  const body = Buffer.from(JSON.stringify(event))
  if (body.length !== size) throw new Error(`body is ${body.length} bytes, not ${size}`)
  return body
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Serves `keys` as a JWKS on 127.0.0.1, cacheable for ten minutes as a sender's usually is, and
 * counts the fetches (`requestCount`). `delayMs` holds every response back by that long.
 */
export function serveBenchJwks(
  keys: readonly JsonWebKey[],
  { delayMs }: { delayMs?: number } = {},
): Promise<JwksServer> {
  return startJwksServer(
    { keys },
    { headers: { 'cache-control': 'max-age=600' }, ...(delayMs === undefined ? {} : { delayMs }) },
  )
}

export type { JwksServer }
