import type { ServerResponse } from 'node:http'
import { decodeJwt, decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair } from 'jose'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSender, DeliveryError } from '../../src/send/index.js'
import type { ClientCredentialsOptions, DeadLetter, DeliveryEvent } from '../../src/send/index.js'
import { SCOPE, startTokenServer } from './oidc-token-server.js'
import type { TokenServer } from './oidc-token-server.js'
import { startReceiver } from './receiver.js'
import type { ReceivedRequest, Receiver } from './receiver.js'
import { createTestSigning } from './signing.js'
import type { TestSigning } from './signing.js'

const BASIC_SECRET = 'basic-secret-Zq8pX3'
const POST_SECRET = 'post-secret-Hy7cW1'

let signing: TestSigning
let server: TokenServer
let receiver: Receiver
let privateKeyPem: string
let privateJwk: Record<string, unknown>
let events: DeliveryEvent[]

beforeAll(async () => {
  signing = await createTestSigning()
  const rsa = await generateKeyPair('RS256', { extractable: true })
  const ec = await generateKeyPair('ES256', { extractable: true })
  privateKeyPem = await exportPKCS8(rsa.privateKey)
  privateJwk = { ...(await exportJWK(ec.privateKey)), kid: 'client-ec-1' }
  server = await startTokenServer([
    {
      client_id: 'basic-client',
      client_secret: BASIC_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: 'post-client',
      client_secret: POST_SECRET,
      token_endpoint_auth_method: 'client_secret_post',
    },
    {
      client_id: 'jwt-client',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: {
        keys: [
          { ...(await exportJWK(rsa.publicKey)), kid: 'client-rsa-1', alg: 'RS256' },
          { ...(await exportJWK(ec.publicKey)), kid: 'client-ec-1', alg: 'ES256' },
        ],
      },
    },
  ])
})

afterAll(async () => {
  await server.close()
})

beforeEach(async () => {
  receiver = await startReceiver()
  events = []
  // The resource server: a bearer token the authorization server issued and still honours.
  receiver.setFallback((request: ReceivedRequest, res: ServerResponse) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
    void (token === undefined ? Promise.resolve(false) : server.isValid(token)).then((valid) => {
      res.writeHead(valid ? 200 : 401)
      res.end()
    })
  })
})

afterEach(async () => {
  await receiver.close()
})

function senderWith(
  grant: ClientCredentialsOptions,
  onDeadLetter: (letter: DeadLetter) => void = () => {},
) {
  return createSender({
    signer: signing.signer,
    onDeadLetter,
    onEvent: (event) => events.push(event),
    allowInsecureHttp: true,
    allowPrivateAddresses: ['127.0.0.1'],
    backoff: 5,
    maxBackoff: 5,
    auth: { '127.0.0.1': { clientCredentials: grant } },
  })
}

/** The JWS header of the last token request's client assertion. */
function assertionHeader(): unknown {
  const grant = server.grants.at(-1)
  expect(grant?.body.client_assertion_type).toBe(
    'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  )
  return decodeProtectedHeader(String(grant?.body.client_assertion))
}

function bearers(): Array<string | undefined> {
  return receiver.requests.map((request) => request.headers.authorization)
}

describe('client credentials against a real authorization server (oidc-provider)', () => {
  it('gets a token with client_secret_basic and delivers with it', async () => {
    const before = server.issued
    const sender = senderWith({
      tokenUrl: server.tokenUrl,
      scope: SCOPE,
      clientId: 'basic-client',
      clientSecret: BASIC_SECRET,
    })
    await sender.send({ url: receiver.url, body: '{"n":1}' })
    await sender.send({ url: receiver.url, body: '{"n":2}' })
    expect(server.issued - before).toBe(1)
    const grant = server.grants.at(-1)
    expect(grant?.authorization).toMatch(/^Basic /)
    expect(grant?.body).not.toHaveProperty('client_secret')
    expect(grant?.body).toMatchObject({ scope: SCOPE })
    expect(receiver.requests).toHaveLength(2)
    expect(new Set(bearers()).size).toBe(1)
  })

  it('gets a token with client_secret_post and delivers with it', async () => {
    const sender = senderWith({
      tokenUrl: server.tokenUrl,
      clientId: 'post-client',
      clientSecret: POST_SECRET,
      authMethod: 'client_secret_post',
    })
    const result = await sender.send({ url: receiver.url, body: '{}' })
    expect(result.status).toBe(200)
    const grant = server.grants.at(-1)
    expect(grant?.authorization).toBeUndefined()
    expect(grant?.body).toMatchObject({ client_id: 'post-client', client_secret: POST_SECRET })
  })

  it('gets a token with private_key_jwt from a PEM key and a kid', async () => {
    const before = server.issued
    const sender = senderWith({
      tokenUrl: server.tokenUrl,
      clientId: 'jwt-client',
      authMethod: 'private_key_jwt',
      privateKey: privateKeyPem,
      kid: 'client-rsa-1',
    })
    const result = await sender.send({ url: receiver.url, body: '{}' })
    expect(result.status).toBe(200)
    expect(server.issued - before).toBe(1)
    expect(assertionHeader()).toEqual({ alg: 'RS256', kid: 'client-rsa-1' })
    // Without an issuer, the audience is the token endpoint (RFC 7523 §3).
    expect(decodeJwt(String(server.grants.at(-1)?.body.client_assertion)).aud).toBe(server.tokenUrl)
  })

  it('gets a token with private_key_jwt from a JWK, its kid, and the issuer as audience', async () => {
    const before = server.issued
    const sender = senderWith({
      tokenUrl: server.tokenUrl,
      issuer: server.issuer,
      clientId: 'jwt-client',
      authMethod: 'private_key_jwt',
      privateKey: privateJwk,
    })
    const result = await sender.send({ url: receiver.url, body: '{}' })
    expect(result.status).toBe(200)
    expect(server.issued - before).toBe(1)
    expect(assertionHeader()).toEqual({ alg: 'ES256', kid: 'client-ec-1' })
    expect(decodeJwt(String(server.grants.at(-1)?.body.client_assertion)).aud).toBe(server.issuer)
  })

  it('fetches a new token once when the receiver refuses a revoked one', async () => {
    const sender = senderWith({
      tokenUrl: server.tokenUrl,
      clientId: 'basic-client',
      clientSecret: BASIC_SECRET,
    })
    await sender.send({ url: receiver.url, body: '{}' })
    const first = bearers()[0]?.slice('Bearer '.length) ?? ''
    await server.revoke(first)
    const before = server.issued
    const result = await sender.send({ url: receiver.url, body: '{}' })
    expect(result.attempts.map((attempt) => attempt.status)).toEqual([401, 200])
    expect(server.issued - before).toBe(1)
    expect(bearers()[2]).not.toBe(bearers()[1])
  })

  it('dead-letters at once when the server refuses the client, and never shows the secret', async () => {
    const wrongSecret = 'wrong-secret-Pq4kT9'
    const letters: unknown[] = []
    const sender = senderWith(
      { tokenUrl: server.tokenUrl, clientId: 'basic-client', clientSecret: wrongSecret },
      (letter) => void letters.push(letter),
    )
    const error = (await sender
      .send({ url: receiver.url, body: '{}' })
      .catch((err: unknown) => err)) as DeliveryError
    expect(error).toBeInstanceOf(DeliveryError)
    expect(error.attempts).toHaveLength(1)
    expect(error.attempts[0]?.error).toEqual({
      code: 'ERR_TOKEN_UNAVAILABLE',
      message: 'the token endpoint answered 401 (invalid_client), not 200',
    })
    expect(receiver.requests).toHaveLength(0)
    const emitted = JSON.stringify([letters, events, error.message, error.attempts])
    expect(emitted).not.toContain(wrongSecret)
  })

  it('keeps access tokens and the client secret out of errors, events and dead letters', async () => {
    receiver.setFallback({ status: 401 })
    const letters: DeadLetter[] = []
    const sender = senderWith(
      {
        tokenUrl: server.tokenUrl,
        clientId: 'post-client',
        clientSecret: POST_SECRET,
        authMethod: 'client_secret_post',
      },
      (letter) => void letters.push(letter),
    )
    const error = (await sender
      .send({ url: receiver.url, body: '{}' })
      .catch((err: unknown) => err)) as DeliveryError
    expect(error.deadLetter?.reason).toBe('permanent-failure')
    const tokens = bearers().map((bearer) => bearer?.slice('Bearer '.length) ?? '')
    expect(tokens).toHaveLength(2)
    const messages: string[] = []
    for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
      messages.push(cause.message)
    }
    const emitted = JSON.stringify([letters, events, messages, error.attempts])
    for (const secret of [POST_SECRET, ...tokens]) expect(emitted).not.toContain(secret)
  })
})
