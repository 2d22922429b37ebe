import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { normalizeParameters as normalizeOAuth1Parameters } from '../../src/schemes/oauth1/normalize-parameters.js'
import { parseOAuthAuthorization } from '../../src/schemes/oauth1/parse-authorization-header.js'
import { parseSignatureHeader as parseStandardWebhooksSignature } from '../../src/schemes/standard-webhooks/parse-signature-header.js'
import { createVerifier, WebhookError } from '../../src/index.js'
import { signStandardWebhook } from '../../src/send/index.js'
import { createStandardWebhooksKeys } from '../../src/testing/index.js'

/**
 * Property tests on the parsers the new schemes run on attacker-chosen header text: each either
 * parses or refuses with a typed `ERR_SIGNATURE_MALFORMED`, never throws anything else. The inputs
 * are as long as the parsers accept (8 KiB), so quadratic behaviour would show as a timeout.
 */

const SEED = Number(process.env.FC_SEED ?? 20_251_130)

const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: 'grapheme', maxLength: 400 }),
  fc.string({ unit: fc.constantFrom(...'v1a,=+/ AZaz09'), maxLength: 9000 }),
)

const oauthish = fc.oneof(
  anyString,
  fc
    .string({ unit: fc.constantFrom(...'oauth_=", \t%20AZE0%'), maxLength: 9000 })
    .map((rest) => `OAuth ${rest}`),
  fc
    .array(fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 })), { maxLength: 20 })
    .map((pairs) => `OAuth ${pairs.map(([k, v]) => `${k}="${v}"`).join(', ')}`),
)

function typedOrValue<T>(run: () => T): T | WebhookError {
  try {
    return run()
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookError)
    expect((error as WebhookError).code).toBe('ERR_SIGNATURE_MALFORMED')
    return error as WebhookError
  }
}

describe('scheme header parsers on any input', () => {
  it('parseStandardWebhooksSignature returns known-version signatures of the right length, or refuses', () => {
    fc.assert(
      fc.property(anyString, (header) => {
        const parsed = typedOrValue(() => parseStandardWebhooksSignature(header))
        if (parsed instanceof WebhookError) return
        for (const { version, signature } of parsed) {
          expect(signature.length).toBe(version === 'v1' ? 32 : 64)
        }
      }),
      { seed: SEED, numRuns: 600 },
    )
  })

  it('parseOAuthAuthorization returns distinct parameters, or refuses', () => {
    fc.assert(
      fc.property(oauthish, (header) => {
        const parsed = typedOrValue(() => parseOAuthAuthorization(header))
        if (parsed instanceof WebhookError) return
        const names = parsed.map(([name]) => name)
        expect(new Set(names).size).toBe(names.length)
      }),
      { seed: SEED, numRuns: 600 },
    )
  })

  it('normalizeOAuth1Parameters gives sorted ASCII pairs for any text, or refuses lone surrogates', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.string({ unit: 'binary', maxLength: 30 }),
            fc.string({ unit: 'binary', maxLength: 30 }),
          ),
          { maxLength: 30 },
        ),
        (pairs) => {
          const normalized = typedOrValue(() => normalizeOAuth1Parameters(pairs))
          if (normalized instanceof WebhookError) return
          expect(normalized).toMatch(/^[A-Za-z0-9%._~=&-]*$/)
          const entries = normalized === '' ? [] : normalized.split('&')
          expect(entries).toHaveLength(pairs.length)
          const names = entries.map((entry) => entry.slice(0, entry.indexOf('=')))
          expect(names).toEqual([...names].sort())
        },
      ),
      { seed: SEED, numRuns: 400 },
    )
  })
})

describe('the verifier on any Standard Webhooks or OAuth headers', () => {
  const keys = createStandardWebhooksKeys()
  const verifier = createVerifier({
    senders: [
      { scheme: 'standard-webhooks', id: 'billing', secrets: [keys.secret] },
      {
        scheme: 'oauth1',
        id: 'mx',
        consumers: (key) => (key === 'mx' ? { secret: 's' } : undefined),
      },
    ],
  })
  const valid = signStandardWebhook({ body: '{}', secrets: [keys.secret] })

  it('answers a typed 401 and nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            'webhook-id': fc.oneof(fc.constant(valid['webhook-id']), anyString),
            'webhook-timestamp': fc.oneof(fc.constant(valid['webhook-timestamp']), anyString),
            'webhook-signature': fc.oneof(fc.constant(valid['webhook-signature']), anyString),
            authorization: oauthish,
          },
          { requiredKeys: [] },
        ),
        fc.string({ maxLength: 200 }),
        async (headers, url) => {
          const outcome = await verifier
            .verify({ method: 'POST', url: `/webhooks?${url}`, headers, body: Buffer.from('{}') })
            .then(
              () => undefined,
              (error: unknown) => error,
            )
          if (outcome === undefined) return
          expect(outcome).toBeInstanceOf(WebhookError)
          expect((outcome as WebhookError).status).toBe(401)
        },
      ),
      { seed: SEED, numRuns: 400 },
    )
  })

  it('answers a typed 401 to any form body, with or without protocol parameters in it', async () => {
    const formish = fc.oneof(
      anyString,
      fc
        .array(
          fc.tuple(
            fc.constantFrom('oauth_signature', 'oauth_consumer_key', 'oauth_nonce', 'a', ''),
            fc.string({ unit: fc.constantFrom(...'ab=+%20&é\u0000'), maxLength: 40 }),
          ),
          { maxLength: 20 },
        )
        .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
    )
    await fc.assert(
      fc.asyncProperty(
        formish,
        fc.option(oauthish, { nil: undefined }),
        async (body, authorization) => {
          const headers = {
            'content-type': 'application/x-www-form-urlencoded',
            ...(authorization === undefined ? {} : { authorization }),
          }
          const outcome = await verifier
            .verify({ method: 'POST', url: '/webhooks', headers, body: Buffer.from(body) })
            .then(
              () => undefined,
              (error: unknown) => error,
            )
          expect(outcome).toBeInstanceOf(WebhookError)
          expect((outcome as WebhookError).status).toBe(401)
        },
      ),
      { seed: SEED, numRuns: 400 },
    )
  })
})
