/** The field prime of Curve25519, 2^255 - 19. */
const P = 2n ** 255n - 19n

/** A y coordinate as the 32 little-endian bytes of an Ed25519 point encoding, sign bit clear. */
function encodeY(y: bigint): string {
  return Buffer.from(y.toString(16).padStart(64, '0'), 'hex').reverse().toString('hex')
}

/**
 * The y coordinates of the eight points of small order (1, 2, 4 and 8), as encoded with the sign bit
 * clear: 0 and 1 also in their non-canonical forms p and p + 1. The sign bit does not change the
 * point's order, and OpenSSL decodes every one of these encodings, canonical or not.
 */
const SMALL_ORDER_Y = new Set([
  encodeY(0n),
  encodeY(1n),
  encodeY(P - 1n),
  encodeY(P),
  encodeY(P + 1n),
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
])

/**
 * Whether an Ed25519 public key is a point of small order. Under such a key the verification
 * equation no longer depends on the private scalar: with R the identity and S = 0, a signature
 * verifies for every message (identity key) or for one message in two, four or eight, which a forger
 * reaches by varying a claim. No honest key generator produces one.
 *
 * @param x The 32-byte encoded public key (the JWK's `x`).
 */
export function isSmallOrderPoint(x: Uint8Array): boolean {
  if (x.length !== 32) return false
  const y = Buffer.from(x)
  y[31] = (y[31] as number) & 0x7f
  return SMALL_ORDER_Y.has(y.toString('hex'))
}
