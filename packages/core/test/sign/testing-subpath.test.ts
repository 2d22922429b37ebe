import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createVerifier, WebhookError } from '@hookseal/core'
import type { Verifier } from '@hookseal/core'
import type { SigningAlgorithm } from '@hookseal/core/send'
import { createTestKeySet, serveJwks, signedHeaders } from '@hookseal/core/testing'
import type { JwksEndpoint } from '@hookseal/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALGORITHMS } from './fixtures.js'

const ISSUER = 'https://sender.test'
const AUDIENCE = 'https://receiver.test/webhooks'

/** A receiver as a user would write one: raw body in, verifier, 204 or the refusal's status. */
async function startReceiver(verifier: Verifier): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    try {
      await verifier.verify({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.rawHeaders,
        body: Buffer.concat(chunks),
      })
      res.writeHead(204).end()
    } catch (err) {
      res.writeHead(err instanceof WebhookError ? err.status : 500).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, server }
}

describe.each(ALGORITHMS)('@hookseal/core/testing with %s', (alg: SigningAlgorithm) => {
  let endpoint: JwksEndpoint
  let receiver: { url: string; server: Server }
  let keys: Awaited<ReturnType<typeof createTestKeySet>>

  beforeAll(async () => {
    keys = await createTestKeySet({ alg })
    endpoint = await serveJwks(keys)
    const verifier = createVerifier({
      issuers: [
        { issuer: ISSUER, jwksUri: endpoint.jwksUri, audience: AUDIENCE, algorithms: [alg] },
      ],
      allowInsecureHttp: true,
    })
    receiver = await startReceiver(verifier)
  })

  afterAll(async () => {
    receiver.server.closeAllConnections()
    receiver.server.close()
    await endpoint.close()
  })

  function post(headers: object, body: string): Promise<number> {
    return fetch(receiver.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    }).then((response) => response.status)
  }

  it('signs headers a strict receiver accepts once, and refuses replayed or tampered', async () => {
    const body = JSON.stringify({ type: 'invoice.paid' })
    const headers = await signedHeaders({ keys, issuer: ISSUER, body, url: AUDIENCE })

    expect(await post(headers, body)).toBe(204)
    expect(await post(headers, body)).toBe(401)
    const fresh = await signedHeaders({ keys, issuer: ISSUER, body, url: AUDIENCE })
    expect(await post(fresh, `${body}\n`)).toBe(401)
  })

  it('makes a new key on every call, which no other JWKS verifies', async () => {
    const other = await createTestKeySet({ alg })
    const body = '{}'

    expect(other.jwks().keys[0]?.kid).not.toBe(keys.jwks().keys[0]?.kid)
    expect(
      await post(await signedHeaders({ keys: other, issuer: ISSUER, body, url: AUDIENCE }), body),
    ).toBe(401)
  })
})

describe('createTestKeySet', () => {
  it('defaults to RS256 and refuses other algorithms with a TypeError', async () => {
    expect((await createTestKeySet()).keys()).toMatchObject([{ alg: 'RS256', state: 'active' }])
    await expect(createTestKeySet({ alg: 'HS256' as never })).rejects.toThrow(TypeError)
  })
})
