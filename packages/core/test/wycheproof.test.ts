import { constants, createPublicKey, verify } from 'node:crypto'
import type { JsonWebKey, KeyObject } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isSupportedAlgorithm, SUPPORTED_ALGORITHMS } from '../src/lib/algorithms.js'
import type { SignatureAlgorithm } from '../src/lib/algorithms.js'
import { decodeBase64Url } from '../src/lib/base64url.js'
import { parseCompactJws } from '../src/lib/parse-compact-jws.js'
import { parseJsonObject } from '../src/lib/parse-json-object.js'
import { verifySignature, verifySignatureInPool } from '../src/lib/verify-signature.js'
import { importJwk } from '../src/keys/import-jwk.js'
import { importJwkSet } from '../src/keys/import-jwk-set.js'
import type { ImportedKeySet } from '../src/keys/import-jwk-set.js'
import { keyMisfitReason } from '../src/keys/key-fits-algorithm.js'
import { isUsable } from '../src/keys/verification-key.js'
import type { KeySetEntry } from '../src/keys/verification-key.js'
import { readVectorFile } from '@hookseal/test-support/vectors'

// Project Wycheproof vectors, copied into test/vectors/wycheproof with their source and licence.

type Result = 'valid' | 'invalid' | 'acceptable'

interface SignatureVector {
  tcId: number
  comment: string
  flags: string[]
  msg: string
  sig: string
  result: Result
}

interface SignatureGroup {
  type: string
  sha?: string
  mgf?: string
  mgfSha?: string
  sLen?: number
  publicKeyDer: string
  publicKeyPem: string
  publicKeyJwk?: JsonWebKey
  keyJwk?: JsonWebKey
  tests: SignatureVector[]
}

type Jwk = Record<string, unknown>
type JwkOrSet = Jwk | { keys: Jwk[] }

interface JoseVector {
  tcId: number
  comment: string
  flags: string[]
  jws: string
  result: Result
}

interface JoseGroup {
  comment: string
  private: JwkOrSet
  public?: JwkOrSet
  tests: JoseVector[]
}

interface VectorFile<Group> {
  numberOfTests: number
  testGroups: Group[]
}

function readVectors<Group extends { tests: unknown[] }>(name: string): VectorFile<Group> {
  const file = readVectorFile<VectorFile<Group>>(`wycheproof/${name}`)
  // A file whose declared count disagrees with its groups has changed shape under us.
  const counted = file.testGroups.reduce((sum, group) => sum + group.tests.length, 0)
  expect(counted, `${name}: numberOfTests`).toBe(file.numberOfTests)
  return file
}

function spki(key: KeyObject): string {
  return key.export({ format: 'der', type: 'spki' }).toString('hex')
}

/** The group's public key, imported from DER, and from PEM and JWK too where the group has them. */
function groupKey(group: SignatureGroup): KeyObject {
  const key = createPublicKey({
    key: Buffer.from(group.publicKeyDer, 'hex'),
    format: 'der',
    type: 'spki',
  })
  const others = [createPublicKey(group.publicKeyPem)]
  const jwk = group.publicKeyJwk ?? group.keyJwk
  if (jwk !== undefined) others.push(createPublicKey({ key: jwk, format: 'jwk' }))
  for (const other of others) expect(spki(other)).toBe(spki(key))
  return key
}

function describeVector(vector: { tcId: number; result: Result; comment: string }): string {
  return `tcId ${vector.tcId} (${vector.result}${vector.comment === '' ? '' : `, ${vector.comment}`})`
}

/** Whether a vector must verify; undefined when either outcome is fine. */
type Rule = (vector: SignatureVector) => boolean | undefined

/** Valid verifies, invalid does not, acceptable either way. */
const asLabelled: Rule = (vector) =>
  vector.result === 'acceptable' ? undefined : vector.result === 'valid'
const nothing: Rule = () => false

/**
 * Runs every vector of the given groups through verifySignature and returns the ones whose outcome
 * breaks the rule, with how many vectors were checked.
 */
function checkSignatures(
  groups: SignatureGroup[],
  alg: SignatureAlgorithm,
  rule: Rule,
): { mismatches: string[]; checked: number } {
  const mismatches: string[] = []
  let checked = 0
  for (const group of groups) {
    const key = groupKey(group)
    for (const vector of group.tests) {
      checked++
      const verified = verifySignature(
        alg,
        key,
        Buffer.from(vector.msg, 'hex'),
        Buffer.from(vector.sig, 'hex'),
      )
      const expected = rule(vector) ?? verified
      if (verified !== expected) {
        mismatches.push(`${describeVector(vector)}: ${verified ? 'verified' : 'refused'}`)
      }
    }
  }
  return { mismatches, checked }
}

function validVectorsOf(groups: SignatureGroup[]): number {
  return groups.reduce((sum, g) => sum + g.tests.filter((t) => t.result === 'valid').length, 0)
}

/** How many valid vectors verify with node:crypto at the group's own salt length. */
function verifiedWithOwnSaltLength(groups: SignatureGroup[]): number {
  let verified = 0
  for (const group of groups) {
    const key = groupKey(group)
    for (const vector of group.tests.filter((t) => t.result === 'valid')) {
      const ok = verify(
        'sha256',
        Buffer.from(vector.msg, 'hex'),
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: group.sLen },
        Buffer.from(vector.sig, 'hex'),
      )
      if (ok) verified++
    }
  }
  return verified
}

describe('verifySignature on Wycheproof primitive vectors', () => {
  const same = [
    { file: 'rsa_signature_2048_sha256_test.json', alg: 'RS256' },
    { file: 'rsa_signature_3072_sha256_test.json', alg: 'RS256' },
    { file: 'rsa_signature_4096_sha256_test.json', alg: 'RS256' },
    { file: 'rsa_pss_2048_sha256_mgf1_32_test.json', alg: 'PS256' },
    { file: 'rsa_pss_3072_sha256_mgf1_32_test.json', alg: 'PS256' },
    { file: 'rsa_pss_4096_sha256_mgf1_32_test.json', alg: 'PS256' },
    { file: 'ecdsa_secp256r1_sha256_p1363_test.json', alg: 'ES256' },
    { file: 'ed25519_test.json', alg: 'EdDSA' },
  ] as const

  it.each(same)('$alg verifies exactly the valid vectors of $file', ({ file, alg }) => {
    const { testGroups, numberOfTests } = readVectors<SignatureGroup>(file)
    const { mismatches, checked } = checkSignatures(testGroups, alg, asLabelled)
    expect(mismatches).toEqual([])
    expect(checked).toBe(numberOfTests)
  })

  it.each(same)(
    '$alg in the thread pool gives the verdict of the synchronous check on every vector of $file',
    async ({ file, alg }) => {
      const { testGroups, numberOfTests } = readVectors<SignatureGroup>(file)
      const differences: string[] = []
      let checked = 0
      for (const group of testGroups) {
        const key = groupKey(group)
        const outcomes = await Promise.all(
          group.tests.map(async (vector) => {
            const msg = Buffer.from(vector.msg, 'hex')
            const sig = Buffer.from(vector.sig, 'hex')
            const pooled = await verifySignatureInPool(alg, key, msg, sig)
            return { vector, pooled, inline: verifySignature(alg, key, msg, sig) }
          }),
        )
        for (const { vector, pooled, inline } of outcomes) {
          checked++
          if (pooled !== inline) differences.push(`${describeVector(vector)}: pooled ${pooled}`)
        }
      }
      expect(differences).toEqual([])
      expect(checked).toBe(numberOfTests)
    },
  )

  it('PS256 refuses RSA-PSS signatures made with salt length 0, which do verify as sLen 0', () => {
    const file = readVectors<SignatureGroup>('rsa_pss_2048_sha256_mgf1_0_test.json')
    // Invalid for sLen 0 because its salt is 32 bytes long: exactly what PS256 requires.
    const salt32 = (vector: SignatureVector): boolean => vector.comment === 's_len changed to 32'
    const tests = file.testGroups.flatMap((g) => g.tests)
    expect(tests.filter(salt32).map((t) => t.tcId)).toEqual([69])
    const { mismatches, checked } = checkSignatures(file.testGroups, 'PS256', salt32)
    expect(mismatches).toEqual([])
    expect(checked).toBe(file.numberOfTests)
    expect(verifiedWithOwnSaltLength(file.testGroups)).toBe(validVectorsOf(file.testGroups))
  })

  const misc = readVectors<SignatureGroup>('rsa_pss_misc_test.json').testGroups
  const sha256Mgf1 = misc.filter(
    (g) => g.sha === 'SHA-256' && g.mgf === 'MGF1' && g.mgfSha === 'SHA-256',
  )
  const ps256Groups = sha256Mgf1.filter((g) => g.sLen === 32)
  const otherSaltGroups = sha256Mgf1.filter((g) => g.sLen !== 32)

  it.skipIf(ps256Groups.length === 0)(
    'PS256 verifies the SHA-256 / MGF1-SHA-256 / salt 32 groups of rsa_pss_misc',
    () => {
      const { mismatches, checked } = checkSignatures(ps256Groups, 'PS256', asLabelled)
      expect(mismatches).toEqual([])
      expect(checked).toBeGreaterThan(0)
    },
  )

  it('PS256 refuses the rsa_pss_misc SHA-256 signatures whose salt is not 32 bytes', () => {
    const { mismatches, checked } = checkSignatures(otherSaltGroups, 'PS256', nothing)
    expect(mismatches).toEqual([])
    expect(checked).toBeGreaterThan(0)
    expect(verifiedWithOwnSaltLength(otherSaltGroups)).toBe(validVectorsOf(otherSaltGroups))
  })

  it('ES256 accepts none of the DER-encoded ECDSA signatures, though the valid ones verify as DER', () => {
    const file = readVectors<SignatureGroup>('ecdsa_secp256r1_sha256_test.json')
    const { mismatches, checked } = checkSignatures(file.testGroups, 'ES256', nothing)
    expect(mismatches).toEqual([])
    expect(checked).toBe(file.numberOfTests)

    let validAsDer = 0
    for (const group of file.testGroups) {
      const key = groupKey(group)
      for (const vector of group.tests.filter((t) => t.result === 'valid')) {
        const msg = Buffer.from(vector.msg, 'hex')
        const sig = Buffer.from(vector.sig, 'hex')
        if (verify('sha256', msg, { key, dsaEncoding: 'der' }, sig)) validAsDer++
      }
    }
    expect(validAsDer).toBe(validVectorsOf(file.testGroups))
  })
})

/** Where a token was refused, in the order hookseal checks. */
type Stage = 'serialization' | 'base64url' | 'header' | 'alg' | 'key' | 'signature'

type JwsVerdict = { accepted: true } | { accepted: false; stage: Stage; reason: string }

function refused(stage: Stage, reason: string): JwsVerdict {
  return { accepted: false, stage, reason }
}

interface DecodedJws {
  header: Record<string, unknown>
  signingInput: Buffer
  signature: Buffer
  /** Whether the payload is a non-empty JSON object, i.e. JWT claims. */
  payloadIsClaims: boolean
}

/**
 * Decodes a compact JWS with hookseal's strict base64url and JSON rules. Unlike parseCompactJws it
 * lets any payload through: most Wycheproof payloads are not JWT claim sets (`foo`, empty), and
 * their signatures are still worth checking.
 */
function decodeJws(token: string): DecodedJws | { stage: Stage; reason: string } {
  const segments = token.split('.')
  if (segments.length !== 3) {
    return { stage: 'serialization', reason: `${segments.length} segments` }
  }
  const [headerPart = '', payloadPart = '', signaturePart = ''] = segments
  const headerBytes = headerPart === '' ? undefined : decodeBase64Url(headerPart)
  const payloadBytes = decodeBase64Url(payloadPart)
  const signature = signaturePart === '' ? undefined : decodeBase64Url(signaturePart)
  if (!headerBytes || !payloadBytes || !signature) {
    return { stage: 'base64url', reason: 'a segment is empty or not strict base64url' }
  }
  const header = parseJsonObject(headerBytes)
  if (!header) return { stage: 'header', reason: 'the header is not a JSON object' }
  return {
    header,
    signingInput: Buffer.from(`${headerPart}.${payloadPart}`, 'ascii'),
    signature,
    payloadIsClaims: payloadPart !== '' && parseJsonObject(payloadBytes) !== undefined,
  }
}

/** Verifies a Wycheproof JWS the way hookseal's verifier does, minus the claims. */
function verifyJws(token: string, keyFor: (kid: unknown) => KeySetEntry | undefined): JwsVerdict {
  const decoded = decodeJws(token)
  if ('stage' in decoded) return refused(decoded.stage, decoded.reason)
  const { header, signingInput, signature } = decoded
  const { alg, kid } = header
  if (!isSupportedAlgorithm(alg)) return refused('alg', `alg ${JSON.stringify(alg)}`)
  const entry = keyFor(kid)
  if (entry === undefined) return refused('key', `no key for kid ${JSON.stringify(kid)}`)
  const misfit = isUsable(entry) ? keyMisfitReason(entry, alg) : entry.unusableReason
  if (misfit !== undefined || !isUsable(entry)) return refused('key', misfit ?? 'unusable')
  if (!verifySignature(alg, entry.keyObject, signingInput, signature)) {
    return refused('signature', 'the signature does not verify')
  }
  return { accepted: true }
}

function parsesAsJwt(token: string): boolean {
  try {
    parseCompactJws(token)
    return true
  } catch {
    return false
  }
}

function keysOf(value: JwkOrSet): Jwk[] {
  return Array.isArray(value.keys) ? (value.keys as Jwk[]) : [value as Jwk]
}

function isSymmetric(group: JoseGroup): boolean {
  return keysOf(group.private).every((jwk) => jwk.kty === 'oct')
}

function summary(vector: JoseVector, verdict: JwsVerdict): string {
  const outcome = verdict.accepted ? 'accepted' : `refused at ${verdict.stage}: ${verdict.reason}`
  return `${describeVector(vector)}: ${outcome}`
}

describe('the JWS pipeline on Wycheproof json_web_signature_test.json', () => {
  const file = readVectors<JoseGroup>('json_web_signature_test.json')
  const asymmetric = file.testGroups.filter((g) => g.public !== undefined)
  const symmetric = file.testGroups.filter((g) => g.public === undefined)

  // Labelled valid, but the JWK's "alg" names another algorithm than the token (PS256 key, PS384
  // token; "ES521" key, ES512 token): a key is bound to its one algorithm, so these are refused.
  const refusedForKeyAlg = [346, 347, 350, 351]

  it('accepts the valid tokens and refuses the invalid ones of every asymmetric-key group', () => {
    const mismatches: string[] = []
    const refusedAsMisfit: number[] = []
    let checked = 0
    for (const group of asymmetric) {
      const [jwk] = keysOf(group.public as JwkOrSet)
      const entry = importJwk(jwk as Jwk, String(jwk?.kid))
      for (const vector of group.tests) {
        checked++
        const verdict = verifyJws(vector.jws, () => entry)
        if (refusedForKeyAlg.includes(vector.tcId)) {
          if (!verdict.accepted && verdict.stage === 'key') refusedAsMisfit.push(vector.tcId)
          else mismatches.push(summary(vector, verdict))
        } else if (verdict.accepted !== (vector.result === 'valid')) {
          mismatches.push(summary(vector, verdict))
        }
      }
    }
    expect(mismatches).toEqual([])
    expect(refusedAsMisfit).toEqual(refusedForKeyAlg)
    expect(checked).toBe(asymmetric.reduce((sum, g) => sum + g.tests.length, 0))
  })

  it('refuses key confusion by alg, use or key_ops, and alg none in every spelling', () => {
    const byTcId = new Map(asymmetric.flatMap((g) => g.tests.map((t) => [t.tcId, { g, t }])))
    const outcome = (tcId: number): string => {
      const found = byTcId.get(tcId)
      const [jwk] = keysOf(found?.g.public ?? { keys: [] })
      const entry = importJwk(jwk ?? {}, String(jwk?.kid))
      const verdict = verifyJws(found?.t.jws ?? '', () => entry)
      return verdict.accepted ? 'accepted' : verdict.stage
    }
    const confusion = [31, 331, 332, 353, 354, 355, 356]
    expect(Object.fromEntries(confusion.map((tcId) => [tcId, outcome(tcId)]))).toEqual({
      31: 'alg',
      331: 'signature',
      332: 'key',
      353: 'key',
      354: 'key',
      355: 'key',
      356: 'key',
    })

    const none = [...byTcId.values()].filter(({ t }) => t.flags.includes('AlgIsNone'))
    expect(none.map(({ t }) => t.tcId)).toEqual([341, 342, 343, 344])
    for (const { t } of none) {
      expect(outcome(t.tcId)).not.toBe('accepted')
      const header = parseJsonObject(decodeBase64Url(t.jws.split('.')[0] ?? '') ?? Buffer.alloc(0))
      expect(header?.alg).toMatch(/^none$/i)
      expect(isSupportedAlgorithm(header?.alg)).toBe(false)
    }
  })

  it('refuses every token of the HMAC groups before any key is used', () => {
    const mismatches: string[] = []
    for (const group of symmetric) {
      expect(isSymmetric(group)).toBe(true)
      for (const jwk of keysOf(group.private)) {
        expect(isUsable(importJwk(jwk, String(jwk.kid)))).toBe(false)
      }
      for (const vector of group.tests) {
        const verdict = verifyJws(vector.jws, () => {
          throw new Error('an HMAC token reached key selection')
        })
        if (verdict.accepted || verdict.stage === 'key' || verdict.stage === 'signature') {
          mismatches.push(summary(vector, verdict))
        }
      }
    }
    expect(mismatches).toEqual([])
    expect(SUPPORTED_ALGORITHMS.filter((alg) => alg.startsWith('HS'))).toEqual([])
  })

  it('refuses strict-base64url violations, including the ? that Wycheproof labels valid', () => {
    const tests = symmetric.find((g) => g.comment === 'base64')?.tests ?? []
    const stageOf = (vector: JoseVector): string => {
      const decoded = decodeJws(vector.jws)
      return 'stage' in decoded ? decoded.stage : 'decoded'
    }
    expect(tests.filter((t) => stageOf(t) === 'base64url').map((t) => t.tcId)).toEqual([
      360, 361, 362, 363, 364, 365, 366, 368, 369, 371, 372, 373, 374, 375,
    ])
    // In this corpus the two "invalid padding" tokens are byte for byte the valid token 357; like
    // every HMAC token they are refused for their algorithm.
    const valid357 = tests.find((t) => t.tcId === 357)?.jws
    expect(tests.filter((t) => t.jws === valid357).map((t) => t.tcId)).toEqual([357, 367, 370])
  })

  it('refuses tokens in JSON serialization', () => {
    const json = file.testGroups.flatMap((g) => g.tests).filter((t) => t.jws.startsWith('{'))
    expect(json.map((t) => t.tcId)).toEqual([17])
    for (const vector of json) {
      expect(verifyJws(vector.jws, () => undefined)).toMatchObject({ stage: 'serialization' })
      expect(parsesAsJwt(vector.jws)).toBe(false)
    }
  })

  it('refuses as a JWT every vector, since none carries a JSON object payload', () => {
    const tokens = file.testGroups.flatMap((g) => g.tests)
    const decoded = tokens.map((t) => decodeJws(t.jws))
    const wellFormed = decoded.filter((jws): jws is DecodedJws => !('stage' in jws))
    expect(wellFormed.length).toBeGreaterThan(300)
    expect(wellFormed.filter((jws) => jws.payloadIsClaims)).toEqual([])
    expect(tokens.filter((t) => parsesAsJwt(t.jws)).map((t) => t.tcId)).toEqual([])
  })
})

describe('JWKS import on Wycheproof json_web_key_test.json', () => {
  const file = readVectors<JoseGroup>('json_web_key_test.json')

  // Vectors hookseal cannot map; none at present, and a new one must be named here.
  const skipped: Array<{ tcId: number; reason: string }> = []

  /** The key set a receiver would publish for the group: the public one, else the (secret) keys. */
  function keySetOf(group: JoseGroup): ImportedKeySet {
    return importJwkSet({ keys: keysOf(group.public ?? group.private) }, 100)
  }

  it('verifies tokens against the imported JWKS as the vectors expect, skipping what does not map', () => {
    const mismatches: string[] = []
    const seenSkips: number[] = []
    for (const group of file.testGroups) {
      const keySet = keySetOf(group)
      for (const vector of group.tests) {
        const verdict = verifyJws(vector.jws, (kid) =>
          typeof kid === 'string' ? keySet.get(kid) : undefined,
        )
        if (skipped.some((skip) => skip.tcId === vector.tcId)) {
          seenSkips.push(vector.tcId)
          continue
        }
        // hookseal never verifies HMAC, so even the vectors valid for an HMAC library are refused.
        const expectAccepted = vector.result === 'valid' && !isSymmetric(group)
        if (verdict.accepted !== expectAccepted) mismatches.push(summary(vector, verdict))
      }
    }
    expect(mismatches).toEqual([])
    expect(seenSkips).toEqual(skipped.map((skip) => skip.tcId))
  })

  it('refuses weak, malformed, ambiguous and misfitting keys at key selection', () => {
    const stages: Record<number, string> = {}
    for (const group of file.testGroups.filter((g) => !isSymmetric(g))) {
      const keySet = keySetOf(group)
      for (const vector of group.tests) {
        const verdict = verifyJws(vector.jws, (kid) =>
          typeof kid === 'string' ? keySet.get(kid) : undefined,
        )
        stages[vector.tcId] = verdict.accepted ? 'accepted' : `${verdict.stage}: ${verdict.reason}`
      }
    }
    expect(stages).toMatchObject({
      6: expect.stringMatching(/^key: the key is for RSA1_5/),
      7: expect.stringMatching(/^key: .*\(ROCA\)/),
      8: expect.stringMatching(/^key: RSA key of 1024 bits/),
      9: expect.stringMatching(/^key: RSA public exponent 1 /),
      19: expect.stringMatching(/^key: the key is for ES521/),
      20: expect.stringMatching(/^key: the key is for ES224/),
      21: expect.stringMatching(/^key: the key's use is "enc"/),
      22: expect.stringMatching(/^key: the key cannot be imported/),
      23: expect.stringMatching(/^key: the key cannot be imported/),
      24: expect.stringMatching(/^key: the key cannot be imported/),
    })
  })

  it('marks a kid that appears twice unusable, and symmetric keys unusable', () => {
    for (const group of file.testGroups.filter(isSymmetric)) {
      const entries = [...keySetOf(group).values()]
      expect(entries.length).toBeGreaterThan(0)
      expect(entries.filter(isUsable)).toEqual([])
    }
    const duplicate = file.testGroups.find((g) =>
      g.tests.some((t) => t.flags.includes('DuplicateKid')),
    )
    const [first] = keysOf(duplicate?.private ?? { keys: [] })
    expect(keySetOf(duplicate as JoseGroup).get(String(first?.kid))).toEqual({
      kid: first?.kid,
      unusableReason: 'the kid appears more than once in the JWKS',
    })
  })

  it('refuses a valid token whose kid two usable keys share', () => {
    const group = file.testGroups.find(
      (g) => !isSymmetric(g) && g.tests.some((t) => t.comment === 'acceptsValid'),
    )
    const [jwk] = keysOf(group?.public ?? { keys: [] })
    const vector = group?.tests[0] as JoseVector
    const keySet = (jwks: Jwk[]): ImportedKeySet => importJwkSet({ keys: jwks }, 100)
    const once = keySet([jwk as Jwk])
    const twice = keySet([jwk as Jwk, jwk as Jwk])
    expect(verifyJws(vector.jws, (kid) => once.get(String(kid)))).toEqual({ accepted: true })
    expect(verifyJws(vector.jws, (kid) => twice.get(String(kid)))).toEqual({
      accepted: false,
      stage: 'key',
      reason: 'the kid appears more than once in the JWKS',
    })
  })

  it('makes no key usable from a JWKS that publishes private key material', () => {
    const both = [
      ...file.testGroups,
      ...readVectors<JoseGroup>('json_web_signature_test.json').testGroups,
    ]
    const usable = both.flatMap((group) =>
      [...importJwkSet({ keys: keysOf(group.private) }, 100).values()]
        .filter(isUsable)
        .map((entry) => `${group.comment} ${entry.kid}`),
    )
    // The mixed set's EC key carries no private member: it is a public key beside a secret one.
    expect(usable).toEqual(['jws_mixedSymmetryKeyset kid-ec-sign'])
  })
})
