import { createHmac } from 'node:crypto'
import OAuth from 'oauth-1.0a'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { percentEncode } from '../../src/schemes/oauth1/percent-encode.js'
import { createVerifier } from '../../src/index.js'
import type { OAuth1SenderOptions, VerifierEvent } from '../../src/index.js'
import { refusal } from './refusal.js'
import { vectors } from './oauth1-vectors.js'
import type { RequestCase } from './oauth1-vectors.js'

const CONSUMER = { key: 'mx-agent', secret: 'kd94hf93k423kf44' }
const TOKEN = { key: 'access-1', secret: 'token secret & more' }
const URL_ = 'https://receiver.example/webhooks?event=payment'
const FORM = 'application/x-www-form-urlencoded'

afterEach(() => {
  vi.useRealTimers()
})

function sender(options: Partial<OAuth1SenderOptions> = {}): OAuth1SenderOptions {
  return {
    scheme: 'oauth1',
    id: 'mx',
    consumers: (key, token) =>
      key === CONSUMER.key
        ? { secret: CONSUMER.secret, ...(token === TOKEN.key ? { tokenSecret: TOKEN.secret } : {}) }
        : undefined,
    ...options,
  }
}

function library(method: 'HMAC-SHA1' | 'HMAC-SHA256' | 'PLAINTEXT'): OAuth {
  return new OAuth({
    consumer: CONSUMER,
    signature_method: method,
    ...(method === 'PLAINTEXT'
      ? {}
      : {
          hash_function: (base: string, key: string) =>
            createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', key)
              .update(base)
              .digest('base64'),
        }),
  })
}

/** The oauth_* parameters of what the library's authorize returns (it also merges in the data). */
function protocolOf(oauth: OAuth.Authorization): Record<string, string> {
  return Object.fromEntries(
    Object.entries(oauth).filter(([name]) => name.startsWith('oauth_')),
  ) as Record<string, string>
}

function form(fields: Record<string, string>): Buffer {
  return Buffer.from(new URLSearchParams(fields).toString())
}

describe('OAuth 1.0a protocol parameters in a form body (RFC 5849 §3.5.2)', () => {
  it.each(['HMAC-SHA1', 'HMAC-SHA256'] as const)(
    'verifies a %s form POST whose oauth_* parameters the library put in the body',
    async (method) => {
      const fields = { amount: '12.50', memo: 'café & crème' }
      const oauth = library(method).authorize(
        { url: URL_, method: 'POST', data: { ...fields } },
        TOKEN,
      )
      const webhook = await createVerifier({ senders: [sender()] }).verify({
        method: 'POST',
        url: URL_,
        headers: { 'content-type': `${FORM}; charset=utf-8` },
        body: form({ ...fields, ...protocolOf(oauth) }),
      })
      expect(webhook).toMatchObject({
        scheme: 'oauth1',
        alg: method,
        bodyDigestVerified: true,
        oauth1: { consumerKey: CONSUMER.key, token: TOKEN.key },
      })
    },
  )

  it('refuses the same body with a field changed', async () => {
    const fields = { amount: '12.50' }
    const oauth = library('HMAC-SHA1').authorize({ url: URL_, method: 'POST', data: { ...fields } })
    const body = form({ ...fields, ...protocolOf(oauth) })
    const changed = Buffer.from(body.toString().replace('12.50', '99.00'))
    const refused = createVerifier({ senders: [sender()] }).verify({
      method: 'POST',
      url: URL_,
      headers: { 'content-type': FORM },
      body: changed,
    })
    expect(await refusal(refused)).toEqual({ code: 'ERR_SIGNATURE_INVALID', status: 401 })
  })

  const formCases = vectors.cases.filter(
    (c): c is RequestCase => c.type === 'request' && c.content_type === FORM,
  )
  it.each(formCases.map((c) => [c.id, c] as const))(
    'verifies corpus request %s with its protocol parameters moved into the body',
    async (_id, vector) => {
      // realm belongs to the Authorization header alone (§3.5.1); a body never carries it.
      const params = Object.fromEntries(
        Object.entries(vector.oauth_params).filter(([name]) => name !== 'realm'),
      )
      const signature = vector.rfc_strict_signature_derived_locally ?? vector.expected_signature
      const protocol = Object.entries({ ...params, oauth_signature: signature })
        .map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`)
        .join('&')
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(Number(params.oauth_timestamp) * 1000)
      const verifier = createVerifier({
        senders: [
          sender({
            replay: false,
            consumers: (key, token) =>
              key === params.oauth_consumer_key && token === params.oauth_token
                ? { secret: vector.consumer_secret, tokenSecret: vector.token_secret }
                : undefined,
          }),
        ],
      })
      const body = (extra: string) => Buffer.from(`${vector.body ?? ''}&${extra}`)
      await expect(
        verifier.verify({
          method: vector.method,
          url: vector.url,
          headers: { 'content-type': FORM },
          body: body(protocol),
        }),
      ).resolves.toMatchObject({ scheme: 'oauth1', kid: params.oauth_consumer_key })
      const wrong = protocol.replace(
        `oauth_signature=${percentEncode(signature)}`,
        `oauth_signature=${percentEncode(createHmac('sha1', 'x').digest('base64'))}`,
      )
      const refused = verifier.verify({
        method: vector.method,
        url: vector.url,
        headers: { 'content-type': FORM },
        body: body(wrong),
      })
      expect(await refusal(refused)).toEqual({ code: 'ERR_SIGNATURE_INVALID', status: 401 })
    },
  )

  it('refuses protocol parameters in the body and in a header at once as a duplicate', async () => {
    const fields = { amount: '12.50' }
    const lib = library('HMAC-SHA1')
    const oauth = lib.authorize({ url: URL_, method: 'POST', data: { ...fields } })
    const refused = createVerifier({ senders: [sender()] }).verify({
      method: 'POST',
      url: URL_,
      headers: { 'content-type': FORM, authorization: lib.toHeader(oauth).Authorization },
      body: form({ ...fields, ...protocolOf(oauth) }),
    })
    expect(await refusal(refused)).toEqual({ code: 'ERR_SIGNATURE_DUPLICATE', status: 401 })
  })

  it('does not read oauth_signature from a body that is not declared a form', async () => {
    const refused = createVerifier({ senders: [sender()] }).verify({
      method: 'POST',
      url: URL_,
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from('oauth_signature=abc&oauth_consumer_key=mx-agent'),
    })
    expect(await refusal(refused)).toEqual({ code: 'ERR_SIGNATURE_MISSING', status: 401 })
  })

  it('refuses a body declared a form that is not form-encoded, rather than signing part of it', async () => {
    const lib = library('HMAC-SHA1')
    const oauth = lib.authorize({ url: URL_, method: 'POST', data: { memo: 'café' } })
    const refused = createVerifier({ senders: [sender()] }).verify({
      method: 'POST',
      url: URL_,
      headers: { 'content-type': FORM, authorization: lib.toHeader(oauth).Authorization },
      body: Buffer.from('memo=café'),
    })
    expect(await refusal(refused)).toEqual({ code: 'ERR_SIGNATURE_MALFORMED', status: 401 })
  })
})

describe('OAuth 1.0a PLAINTEXT, by configured exception only', () => {
  const plaintextHeader = (secret = CONSUMER.secret) => {
    const lib = new OAuth({ consumer: { ...CONSUMER, secret }, signature_method: 'PLAINTEXT' })
    return lib.toHeader(lib.authorize({ url: URL_, method: 'POST' }, TOKEN)).Authorization
  }
  const post = (authorization: string, url = '/webhooks?event=payment') => ({
    method: 'POST',
    url,
    headers: { authorization, 'content-type': 'application/json' },
    body: Buffer.from('{"type":"payment.settled"}'),
  })

  it('is refused by default, as a signature method not allowed', async () => {
    const verifier = createVerifier({ senders: [sender({ origin: 'https://receiver.example' })] })
    expect(await refusal(verifier.verify(post(plaintextHeader())))).toEqual({
      code: 'ERR_ALG_NOT_ALLOWED',
      status: 401,
    })
  })

  it('verifies what the library signs with PLAINTEXT when allowed, and says the body is not bound', async () => {
    const events: VerifierEvent[] = []
    const verifier = createVerifier({
      senders: [sender({ origin: 'https://receiver.example', allowPlaintext: true })],
      onEvent: (event) => events.push(event),
    })
    await expect(verifier.verify(post(plaintextHeader()))).resolves.toMatchObject({
      alg: 'PLAINTEXT',
      bodyDigestVerified: false,
      oauth1: { consumerKey: CONSUMER.key, token: TOKEN.key },
    })
    expect(events).toEqual([{ type: 'body-digest-absent', issuer: 'mx' }])
    expect(await refusal(verifier.verify(post(plaintextHeader('wrong-secret'))))).toEqual({
      code: 'ERR_SIGNATURE_INVALID',
      status: 401,
    })
  })

  it('still refuses PLAINTEXT on a request whose URL is plain http', async () => {
    const verifier = createVerifier({
      senders: [sender({ origin: 'https://receiver.example', allowPlaintext: true })],
    })
    const refused = verifier.verify(post(plaintextHeader(), 'http://receiver.example/webhooks'))
    expect(await refusal(refused)).toEqual({ code: 'ERR_ALG_NOT_ALLOWED', status: 401 })
  })

  it('cannot be allowed without an https origin', () => {
    expect(() => createVerifier({ senders: [sender({ allowPlaintext: true })] })).toThrow(
      /allowPlaintext for mx needs an https origin/,
    )
    expect(() =>
      createVerifier({
        senders: [sender({ allowPlaintext: true, origin: 'http://receiver.example' })],
      }),
    ).toThrow(TypeError)
  })
})
