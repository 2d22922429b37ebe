import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createVerifier, WebhookError } from '../../src/index.js'
import type { OAuth1Consumer, VerifiedWebhook } from '../../src/index.js'
import { createOAuth1Flow, createSender, OAuth1FlowError } from '../../src/send/index.js'
import type { OAuth1FlowOptions } from '../../src/send/index.js'
import { createTestSigning } from './signing.js'
import type { TestSigning } from './signing.js'

const CONSUMER = { key: 'mx-iso-agent', secret: 'consumer-secret-Vb81' }
const CALLBACK = 'https://sender.example/mx/callback'

interface TemporaryToken {
  readonly secret: string
  readonly callback: string
  verifier?: string
}

/**
 * A small OAuth 1.0a server (RFC 5849 §2) that checks every request with hookseal's inbound
 * verifier: temporary credentials, a user authorization page, token credentials, and one API.
 */
class OAuth1Server {
  readonly temporary = new Map<string, TemporaryToken>()
  readonly access = new Map<string, string>()
  /** What the next request-token answer is replaced with, for the refusal cases. */
  override: { status: number; body: string } | undefined
  readonly apiCalls: VerifiedWebhook[] = []
  private server: Server | undefined
  origin = ''

  private readonly verifier = createVerifier({
    senders: [
      {
        scheme: 'oauth1',
        id: 'mx-client',
        consumers: (key, token) => this.consumer(key, token),
      },
    ],
  })

  private consumer(key: string, token: string | undefined): OAuth1Consumer | undefined {
    if (key !== CONSUMER.key) return undefined
    if (token === undefined) return { secret: CONSUMER.secret }
    const secret = this.temporary.get(token)?.secret ?? this.access.get(token)
    return secret === undefined ? undefined : { secret: CONSUMER.secret, tokenSecret: secret }
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.close(() => resolve())
      this.server?.closeAllConnections()
    })
  }

  private async verify(req: IncomingMessage): Promise<VerifiedWebhook> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    return this.verifier.verify({
      method: req.method ?? '',
      url: `${this.origin}${req.url ?? ''}`,
      headers: req.headers as Record<string, string>,
      body: Buffer.concat(chunks),
    })
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin)
    const form = (values: Record<string, string>, status = 200): void => {
      res.writeHead(status, { 'content-type': 'application/x-www-form-urlencoded' })
      res.end(new URLSearchParams(values).toString())
    }
    try {
      if (url.pathname === '/oauth/authorize') {
        // The user signs in and approves: back to the client's callback with a verifier.
        const token = url.searchParams.get('oauth_token') ?? ''
        const pending = this.temporary.get(token)
        if (pending === undefined) return form({ oauth_problem: 'token_rejected' }, 400)
        pending.verifier = randomBytes(8).toString('hex')
        const callback = new URL(pending.callback)
        callback.searchParams.set('oauth_token', token)
        callback.searchParams.set('oauth_verifier', pending.verifier)
        res.writeHead(302, { location: callback.href })
        return void res.end()
      }
      const webhook = await this.verify(req)
      const params = webhook.oauth1?.params ?? {}
      if (url.pathname === '/oauth/request_token') {
        if (this.override !== undefined) {
          res.writeHead(this.override.status, { 'content-type': 'text/plain' })
          return void res.end(this.override.body)
        }
        const token = `tmp-${randomBytes(6).toString('hex')}`
        const secret = randomBytes(12).toString('hex')
        this.temporary.set(token, { secret, callback: params.oauth_callback ?? '' })
        return form({
          oauth_token: token,
          oauth_token_secret: secret,
          oauth_callback_confirmed: 'true',
        })
      }
      if (url.pathname === '/oauth/access_token') {
        const token = webhook.oauth1?.token ?? ''
        const pending = this.temporary.get(token)
        if (pending?.verifier === undefined || params.oauth_verifier !== pending.verifier) {
          return form({ oauth_problem: 'verifier_invalid' }, 401)
        }
        this.temporary.delete(token)
        const access = `acc-${randomBytes(6).toString('hex')}`
        const secret = randomBytes(12).toString('hex')
        this.access.set(access, secret)
        return form({ oauth_token: access, oauth_token_secret: secret, user_id: 'merchant-7' })
      }
      if (url.pathname === '/api/payments') {
        this.apiCalls.push(webhook)
        res.writeHead(200)
        return void res.end()
      }
      res.writeHead(404)
      res.end()
    } catch (error) {
      res.writeHead(error instanceof WebhookError ? error.status : 500)
      res.end()
    }
  }
}

let server: OAuth1Server
let signing: TestSigning

beforeAll(async () => {
  signing = await createTestSigning()
  server = new OAuth1Server()
  await server.start()
})

afterAll(async () => {
  await server.close()
})

beforeEach(() => {
  server.override = undefined
})

function flowOptions(overrides: Partial<OAuth1FlowOptions> = {}): OAuth1FlowOptions {
  return {
    requestTokenUrl: `${server.origin}/oauth/request_token`,
    authorizeUrl: `${server.origin}/oauth/authorize`,
    accessTokenUrl: `${server.origin}/oauth/access_token`,
    consumerKey: CONSUMER.key,
    consumerSecret: CONSUMER.secret,
    allowInsecureHttp: true,
    allowPrivateAddresses: ['127.0.0.1'],
    ...overrides,
  }
}

/** The user's browser: opens the authorization URL and follows nothing, reading the redirect. */
async function userAuthorizes(authorizeUrl: string): Promise<URL> {
  const response = await fetch(authorizeUrl, { redirect: 'manual' })
  expect(response.status).toBe(302)
  return new URL(response.headers.get('location') ?? '')
}

function apiSender(oauth1: { token?: string; tokenSecret?: string }) {
  return createSender({
    signer: signing.signer,
    onDeadLetter: () => {},
    allowInsecureHttp: true,
    allowPrivateAddresses: ['127.0.0.1'],
    maxAttempts: 1,
    auth: {
      '127.0.0.1': {
        oauth1: { consumerKey: CONSUMER.key, consumerSecret: CONSUMER.secret, ...oauth1 },
      },
    },
  })
}

describe('createOAuth1Flow against a local OAuth 1.0a server', () => {
  it('runs the 3-legged dance, and the token credentials sign an API call that verifies', async () => {
    const flow = createOAuth1Flow(flowOptions())
    const temporary = await flow.requestToken({ callback: CALLBACK })
    expect(temporary.token).toMatch(/^tmp-/)
    expect(temporary.parameters).toEqual({})

    const authorizeUrl = flow.authorizeUrl(temporary.token)
    expect(new URL(authorizeUrl).searchParams.get('oauth_token')).toBe(temporary.token)
    const callback = await userAuthorizes(authorizeUrl)
    expect(callback.origin + callback.pathname).toBe(CALLBACK)
    expect(callback.searchParams.get('oauth_token')).toBe(temporary.token)

    const access = await flow.accessToken({
      token: temporary.token,
      tokenSecret: temporary.tokenSecret,
      verifier: callback.searchParams.get('oauth_verifier') ?? '',
    })
    expect(access.token).toMatch(/^acc-/)
    expect(access.parameters).toEqual({ user_id: 'merchant-7' })

    const result = await apiSender(access).send({
      url: `${server.origin}/api/payments`,
      body: '{"amount":1250}',
    })
    expect(result.status).toBe(200)
    expect(server.apiCalls.at(-1)?.oauth1).toMatchObject({
      consumerKey: CONSUMER.key,
      token: access.token,
    })
  })

  it('signs a 2-legged API call with the consumer credentials alone', async () => {
    const result = await apiSender({}).send({ url: `${server.origin}/api/payments`, body: '{}' })
    expect(result.status).toBe(200)
    expect(server.apiCalls.at(-1)?.oauth1?.token).toBeUndefined()
  })

  it('sends oob when no callback is given', async () => {
    const temporary = await createOAuth1Flow(flowOptions()).requestToken()
    expect(server.temporary.get(temporary.token)?.callback).toBe('oob')
  })

  it('refuses a wrong verifier with the status and the oauth_problem', async () => {
    const flow = createOAuth1Flow(flowOptions())
    const temporary = await flow.requestToken({ callback: CALLBACK })
    await userAuthorizes(flow.authorizeUrl(temporary.token))
    const error = await flow
      .accessToken({ ...temporary, verifier: 'not-the-verifier' })
      .catch((err: unknown) => err)
    expect(error).toBeInstanceOf(OAuth1FlowError)
    expect(error).toMatchObject({
      code: 'ERR_OAUTH1_RESPONSE_STATUS',
      status: 401,
      oauthProblem: 'verifier_invalid',
      message: 'the access token endpoint answered 401 (verifier_invalid), not 200',
    })
    expect(JSON.stringify(error) + String(error)).not.toContain(temporary.tokenSecret)
  })

  it('refuses temporary credentials signed with the wrong consumer secret', async () => {
    const flow = createOAuth1Flow(flowOptions({ consumerSecret: 'wrong' }))
    await expect(flow.requestToken({ callback: CALLBACK })).rejects.toMatchObject({
      code: 'ERR_OAUTH1_RESPONSE_STATUS',
      status: 401,
    })
  })

  it.each([
    [
      'without oauth_callback_confirmed',
      'oauth_token=t&oauth_token_secret=s',
      'ERR_OAUTH1_CALLBACK_NOT_CONFIRMED',
    ],
    [
      'with oauth_callback_confirmed=false',
      'oauth_token=t&oauth_token_secret=s&oauth_callback_confirmed=false',
      'ERR_OAUTH1_CALLBACK_NOT_CONFIRMED',
    ],
    [
      'without a token secret',
      'oauth_token=t&oauth_callback_confirmed=true',
      'ERR_OAUTH1_RESPONSE_INVALID',
    ],
    [
      'with a repeated token',
      'oauth_token=t&oauth_token=u&oauth_token_secret=s&oauth_callback_confirmed=true',
      'ERR_OAUTH1_RESPONSE_INVALID',
    ],
    ['that is JSON', '{"oauth_token":"t","oauth_token_secret":"s"}', 'ERR_OAUTH1_RESPONSE_INVALID'],
    [
      'with a bad percent-encoding',
      'oauth_token=%E0%A4%A&oauth_token_secret=s',
      'ERR_OAUTH1_RESPONSE_INVALID',
    ],
  ])('refuses a request token response %s', async (_name, body, code) => {
    server.override = { status: 200, body }
    const error = await createOAuth1Flow(flowOptions())
      .requestToken({ callback: CALLBACK })
      .catch((err: unknown) => err)
    expect(error).toBeInstanceOf(OAuth1FlowError)
    expect((error as OAuth1FlowError).code).toBe(code)
  })

  it('refuses a response over 16 KiB', async () => {
    server.override = { status: 200, body: `oauth_token=${'x'.repeat(20_000)}` }
    await expect(
      createOAuth1Flow(flowOptions()).requestToken({ callback: CALLBACK }),
    ).rejects.toMatchObject({ code: 'ERR_OAUTH1_REQUEST_FAILED' })
  })

  it('refuses a server on a loopback address that is not allow-listed, before connecting', async () => {
    const flow = createOAuth1Flow(flowOptions({ allowPrivateAddresses: [] }))
    await expect(flow.requestToken({ callback: CALLBACK })).rejects.toMatchObject({
      code: 'ERR_OAUTH1_REQUEST_FAILED',
    })
  })

  it.each<[string, Partial<OAuth1FlowOptions>]>([
    ['a plain http URL without allowInsecureHttp', { allowInsecureHttp: false }],
    ['a missing consumer secret', { consumerSecret: '' }],
    ['PLAINTEXT', { signatureMethod: 'PLAINTEXT' as 'HMAC-SHA1' }],
  ])('throws a TypeError at construction for %s', (_name, overrides) => {
    expect(() => createOAuth1Flow(flowOptions(overrides))).toThrow(TypeError)
  })
})
