import { createHash, createHmac } from 'node:crypto'
import OAuth from 'oauth-1.0a'
import { refusal } from './refusal.js'
import { vectors } from './oauth1-vectors.js'
import type { BaseStringCase, RequestCase } from './oauth1-vectors.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { normalizeParameters as normalizeOAuth1Parameters } from '../../src/schemes/oauth1/normalize-parameters.js'
import { baseStringUri as oauth1BaseStringUri } from '../../src/schemes/oauth1/signature-base-string.js'
import { percentEncode as oauth1PercentEncode } from '../../src/schemes/oauth1/percent-encode.js'
import { oauth1Signature } from '../../src/schemes/oauth1/oauth1-signature.js'
import { parseOAuthAuthorization } from '../../src/schemes/oauth1/parse-authorization-header.js'
import { createVerifier } from '../../src/index.js'
import { signOAuth1Request } from '../../src/send/index.js'
import type { OAuth1Consumer, OAuth1SenderOptions, WebhookRequest } from '../../src/index.js'
import type { SignOAuth1RequestOptions } from '../../src/send/index.js'

const CONSUMER = { key: 'mx-agent', secret: 'kd94hf93k423kf44' }
const URL_ = 'https://receiver.example/webhooks?event=payment'
const BODY = Buffer.from('{"type":"payment.settled"}')

afterEach(() => {
  vi.useRealTimers()
})

function sender(
  consumers: OAuth1SenderOptions['consumers'] = (key) =>
    key === CONSUMER.key ? { secret: CONSUMER.secret } : undefined,
  options: Partial<OAuth1SenderOptions> = {},
): OAuth1SenderOptions {
  return { scheme: 'oauth1', id: 'mx', consumers, ...options }
}

function verifierOf(...senders: OAuth1SenderOptions[]) {
  return createVerifier({ senders })
}

function post(authorization: string, extra: Partial<WebhookRequest> = {}): WebhookRequest {
  return {
    method: 'POST',
    url: URL_,
    headers: { authorization, 'content-type': 'application/json' },
    body: BODY,
    ...extra,
  }
}

describe('OAuth 1.0a corpus vectors', () => {
  it.each(vectors.encoding_cases.percent_encode)('percent-encodes %j as %j', (input, output) => {
    expect(oauth1PercentEncode(input)).toBe(output)
  })

  it.each(vectors.encoding_cases.normalize)('normalises %j', (pairs, output) => {
    expect(normalizeOAuth1Parameters(pairs)).toBe(output)
  })

  it.each(vectors.base_string_uri_cases.cases)('base string URI of %s', (input, output) => {
    expect(oauth1BaseStringUri(input)).toBe(output)
  })

  const baseStrings = vectors.cases.filter((c): c is BaseStringCase => c.type === 'base_string')
  it.each(baseStrings.map((c) => [c.id, c] as const))('HMAC-SHA1 of %s', (_id, vector) => {
    const signature = oauth1Signature(
      'HMAC-SHA1',
      vector.base_string,
      vector.consumer_secret,
      vector.token_secret,
    )
    expect(signature.toString('base64')).toBe(vector.expected_signature)
  })

  const requests = vectors.cases.filter((c): c is RequestCase => c.type === 'request')
  it.each(requests.map((c) => [c.id, c] as const))('verifies request %s', async (_id, vector) => {
    const { realm, ...params } = vector.oauth_params
    const signature = vector.rfc_strict_signature_derived_locally ?? vector.expected_signature
    const fields = Object.entries({
      ...(realm === undefined ? {} : { realm }),
      ...params,
      oauth_signature: signature,
    })
    const authorization = `OAuth ${fields.map(([k, v]) => `${k}="${oauth1PercentEncode(v)}"`).join(', ')}`
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Number(params.oauth_timestamp) * 1000)
    const consumers = (key: string, token: string | undefined): OAuth1Consumer | undefined =>
      key === params.oauth_consumer_key && token === params.oauth_token
        ? { secret: vector.consumer_secret, tokenSecret: vector.token_secret }
        : undefined
    const webhook = await verifierOf(sender(consumers, { replay: false })).verify({
      method: vector.method,
      url: vector.url,
      headers: {
        authorization,
        ...(vector.content_type === null ? {} : { 'content-type': vector.content_type }),
      },
      body: Buffer.from(vector.body ?? ''),
    })
    expect(webhook).toMatchObject({
      scheme: 'oauth1',
      sender: 'mx',
      kid: params.oauth_consumer_key,
    })
    // A changed signature is refused: the match above is not an accident of lenient checking.
    const wrong = authorization.replace(
      `oauth_signature="${oauth1PercentEncode(signature)}"`,
      `oauth_signature="${oauth1PercentEncode(createHmac('sha1', 'x').digest('base64'))}"`,
    )
    const refused = verifierOf(sender(consumers, { replay: false })).verify({
      method: vector.method,
      url: vector.url,
      headers: { authorization: wrong, 'content-type': vector.content_type ?? 'text/plain' },
      body: Buffer.from(vector.body ?? ''),
    })
    expect(await refusal(refused)).toEqual({ code: 'ERR_SIGNATURE_INVALID', status: 401 })
  })
})

describe('OAuth 1.0a interop with the oauth-1.0a package', () => {
  function library(method: 'HMAC-SHA1' | 'HMAC-SHA256' = 'HMAC-SHA1'): OAuth {
    return new OAuth({
      consumer: CONSUMER,
      signature_method: method,
      hash_function: (base, key) =>
        createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', key)
          .update(base)
          .digest('base64'),
    })
  }

  it.each(['HMAC-SHA1', 'HMAC-SHA256'] as const)(
    'verifies a %s form POST the library signs, with a token',
    async (method) => {
      const oauth = library(method)
      const token = { key: 'access-1', secret: 'token-secret-1' }
      const form = { amount: '12.50', memo: 'café & crème' }
      // The library adds the query's parameters into the object it is given; the body is the form alone.
      const request = { url: URL_, method: 'POST', data: { ...form } }
      const { Authorization } = oauth.toHeader(oauth.authorize(request, token))
      const consumers = (key: string, t: string | undefined) =>
        key === CONSUMER.key && t === token.key
          ? { secret: CONSUMER.secret, tokenSecret: token.secret }
          : undefined
      const webhook = await verifierOf(sender(consumers)).verify({
        method: 'POST',
        url: URL_,
        headers: {
          authorization: Authorization,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: Buffer.from(new URLSearchParams(form).toString()),
      })
      expect(webhook).toMatchObject({
        alg: method,
        bodyDigestVerified: true,
        oauth1: { consumerKey: CONSUMER.key, token: 'access-1' },
      })
    },
  )

  it('signs what the library computes for the same parameters', () => {
    const authorization = signOAuth1Request({
      url: URL_,
      consumerKey: CONSUMER.key,
      consumerSecret: CONSUMER.secret,
      token: 'access-1',
      tokenSecret: 'token-secret-1',
      formBody: 'amount=12.50&memo=caf%C3%A9',
    })
    const params = Object.fromEntries(parseOAuthAuthorization(authorization))
    const { oauth_signature: signature, ...oauthData } = params
    const expected = library().getSignature(
      { url: URL_, method: 'POST', data: { amount: '12.50', memo: 'café' } },
      'token-secret-1',
      oauthData as unknown as OAuth.Data,
    )
    expect(signature).toBe(expected)
  })
})

describe('OAuth 1.0a verification', () => {
  const sign = (extra: Partial<SignOAuth1RequestOptions> = {}): string =>
    signOAuth1Request({
      url: URL_,
      consumerKey: CONSUMER.key,
      consumerSecret: CONSUMER.secret,
      ...extra,
    })

  it('parses the header shapes of the MX documentation: callback, verifier and token', () => {
    const header =
      'OAuth oauth_callback="https%3A%2F%2Fagent.example%2Fcallback", oauth_consumer_key="mx-agent",' +
      ' oauth_nonce="n0nce", oauth_signature="abc%3D", oauth_signature_method="HMAC-SHA1",' +
      ' oauth_timestamp="1700000000", oauth_token="req-token", oauth_verifier="v3rifier", oauth_version="1.0"'
    expect(Object.fromEntries(parseOAuthAuthorization(header))).toMatchObject({
      oauth_callback: 'https://agent.example/callback',
      oauth_token: 'req-token',
      oauth_verifier: 'v3rifier',
      oauth_signature: 'abc=',
    })
  })

  it('verifies a JSON webhook, and says its body is not covered without oauth_body_hash', async () => {
    const events: unknown[] = []
    const verifier = createVerifier({ senders: [sender()], onEvent: (e) => events.push(e) })
    const webhook = await verifier.verify(post(sign()))
    expect(webhook.bodyDigestVerified).toBe(false)
    expect(events).toEqual([{ type: 'body-digest-absent', issuer: 'mx' }])
  })

  it('checks oauth_body_hash against the body', async () => {
    const bodyHash = createHash('sha1').update(BODY).digest('base64')
    const authorization = sign({ extra: { oauth_body_hash: bodyHash } })
    const verifier = verifierOf(sender())
    await expect(verifier.verify(post(authorization))).resolves.toMatchObject({
      bodyDigestVerified: true,
    })
    const other = sign({ extra: { oauth_body_hash: bodyHash } })
    expect(await refusal(verifier.verify(post(other, { body: Buffer.from('{}') })))).toEqual({
      code: 'ERR_BODY_DIGEST_MISMATCH',
      status: 401,
    })
  })

  it('resolves a path-only URL against the configured origin', async () => {
    const verifier = verifierOf(sender(undefined, { origin: 'https://receiver.example' }))
    await expect(
      verifier.verify(post(sign(), { url: '/webhooks?event=payment' })),
    ).resolves.toMatchObject({ scheme: 'oauth1' })
  })

  it('refuses a replayed nonce', async () => {
    const verifier = verifierOf(sender())
    const authorization = sign()
    await verifier.verify(post(authorization))
    expect(await refusal(verifier.verify(post(authorization)))).toEqual({
      code: 'ERR_REPLAY',
      status: 401,
    })
  })

  it.each([
    ['a tampered query', { url: `${URL_}&amount=999` }, 'ERR_SIGNATURE_INVALID'],
    ['another method', { method: 'PUT' }, 'ERR_SIGNATURE_INVALID'],
  ] as const)('refuses %s', async (_name, change, code) => {
    expect(await refusal(verifierOf(sender()).verify(post(sign(), change)))).toEqual({
      code,
      status: 401,
    })
  })

  it.each([
    ['PLAINTEXT', () => sign().replace('HMAC-SHA1', 'PLAINTEXT'), 'ERR_ALG_NOT_ALLOWED'],
    ['an unknown consumer', () => sign({ consumerKey: 'who' }), 'ERR_CONSUMER_UNKNOWN'],
    ['an unknown token', () => sign({ token: 't', tokenSecret: 's' }), 'ERR_CONSUMER_UNKNOWN'],
    [
      'oauth_version 2.0',
      () => sign({ version: false, extra: { oauth_version: '2.0' } }),
      'ERR_SIGNATURE_MALFORMED',
    ],
    [
      'a stale timestamp',
      () => sign({ timestamp: Math.floor(Date.now() / 1000) - 600 }),
      'ERR_TIMESTAMP_OUT_OF_WINDOW',
    ],
    [
      'a future timestamp',
      () => sign({ timestamp: Math.floor(Date.now() / 1000) + 600 }),
      'ERR_TIMESTAMP_OUT_OF_WINDOW',
    ],
    ['no nonce', () => sign({ nonce: '' }), 'ERR_SIGNATURE_MALFORMED'],
    [
      'an unquoted value',
      (): string => 'OAuth oauth_consumer_key=mx-agent',
      'ERR_SIGNATURE_MALFORMED',
    ],
    [
      'a bad percent-encoding',
      (): string => 'OAuth oauth_consumer_key="%E0%A4%A"',
      'ERR_SIGNATURE_MALFORMED',
    ],
    [
      'a repeated parameter',
      (): string => `${sign()}, oauth_nonce="again"`,
      'ERR_SIGNATURE_MALFORMED',
    ],
    ['an empty header', (): string => 'OAuth ', 'ERR_SIGNATURE_MALFORMED'],
  ] as const)('refuses %s with a typed 401', async (_name, authorization, code) => {
    expect(await refusal(verifierOf(sender()).verify(post(authorization())))).toEqual({
      code,
      status: 401,
    })
  })

  it('refuses a signature method the sender does not accept as not allowed', async () => {
    const sha1Only = sender(undefined, { signatureMethods: ['HMAC-SHA1'] })
    const refused = verifierOf(sha1Only).verify(post(sign({ signatureMethod: 'HMAC-SHA256' })))
    expect(await refusal(refused)).toEqual({ code: 'ERR_ALG_NOT_ALLOWED', status: 401 })
  })

  it('answers 503 when the consumer lookup fails, so the sender retries', async () => {
    const failing = sender(() => Promise.reject(new Error('database down')))
    expect(await refusal(verifierOf(failing).verify(post(sign())))).toEqual({
      code: 'ERR_KEYS_UNAVAILABLE',
      status: 503,
    })
  })

  it('refuses two OAuth credentials as a duplicate', async () => {
    const raw = [
      'Authorization',
      sign(),
      'Authorization',
      sign(),
      'Content-Type',
      'application/json',
    ]
    expect(await refusal(verifierOf(sender()).verify(post('', { headers: raw })))).toEqual({
      code: 'ERR_SIGNATURE_DUPLICATE',
      status: 401,
    })
  })
})
