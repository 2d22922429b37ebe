/**
 * The one adapter suite through @hookseal/fetch on every runtime: Node (Hono on @hono/node-server),
 * Bun, Deno and workerd. Each runtime serves `runtimes/fetch-app.ts` on loopback with the JWKS
 * endpoints on loopback too; every case's answers must equal the Express adapter's, given the same
 * requests in the same run: status, and for refusals the Content-Type, Retry-After and the problem
 * document byte for byte.
 */
import { request as httpRequest } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStandardWebhooksKeys } from '@hookseal/core/testing'
import { startJwksServer } from '@hookseal/test-support/jwks-server'
import type { JwksServer } from '@hookseal/test-support/jwks-server'
import { generateTestKey, jwksOf } from '@hookseal/test-support/test-keys'
import { expressHarnesses } from './harness/express.js'
import type { HarnessResponse, RunningApp } from './harness/types.js'
import { AUDIENCE, CONSUMER, ISSUER, ORIGIN, runtimeCases } from './runtimes/cases.js'
import type { CaseRequest } from './runtimes/cases.js'
import { ROUTES, routeOptions } from './runtimes/fetch-app.js'
import type { RoutePath, RuntimeConfig } from './runtimes/fetch-app.js'
import { runtimes } from './runtimes/runtime-servers.js'
import type { RuntimeServer } from './runtimes/runtime-servers.js'

const express = expressHarnesses.find((harness) => harness.name === 'express 5')
if (express === undefined) throw new Error('the Express 5 harness is missing')

const jwtKeys = [
  generateTestKey('RS256', 'partner-rs'),
  generateTestKey('PS256', 'partner-ps'),
  generateTestKey('ES256', 'partner-es'),
  generateTestKey('EdDSA', 'partner-ed'),
]
const standardWebhooks = createStandardWebhooksKeys()
const cases = runtimeCases({
  jwt: jwtKeys,
  stranger: generateTestKey('RS256', 'partner-rs'),
  standardWebhooks,
})

let jwks: JwksServer
let downJwks: JwksServer
let config: RuntimeConfig

beforeAll(async () => {
  jwks = await startJwksServer(jwksOf(...jwtKeys))
  downJwks = await startJwksServer(jwksOf(...jwtKeys))
  downJwks.setBehaviour('down')
  config = {
    issuer: ISSUER,
    audience: AUDIENCE,
    origin: ORIGIN,
    jwksUri: jwks.url,
    downJwksUri: downJwks.url,
    swSecret: standardWebhooks.secret,
    swPublicKey: standardWebhooks.publicKey,
    consumer: CONSUMER,
  }
})

afterAll(async () => {
  await jwks.close()
  await downJwks.close()
})

/** What must be identical: the status, and for a refusal its headers and exact bytes. */
function answer(response: HarnessResponse): unknown {
  if (response.status === 200) return { status: 200, body: response.body }
  return {
    status: response.status,
    contentType: response.headers['content-type'],
    retryAfter: response.headers['retry-after'] !== undefined,
    text: response.text,
  }
}

/**
 * One POST on a connection of its own. A runtime may close the connection after refusing a body
 * it did not read (a 413 by Content-Length); a client that pooled it would see the next request
 * on it reset.
 */
function post(
  url: string,
  request: CaseRequest,
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      url,
      {
        method: 'POST',
        agent: false,
        timeout: 10_000,
        headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) },
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', reject)
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        )
      },
    )
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${url} in 10 s`)))
    outgoing.on('error', reject)
    outgoing.end(request.body)
  })
}

async function send(server: RuntimeServer, route: RoutePath, request: CaseRequest) {
  const { status, headers, text } = await post(`${server.url}${route}`, request)
  const contentType = headers['content-type']
  const retryAfter = headers['retry-after']
  return answer({
    status,
    headers: {
      'content-type': contentType,
      'retry-after': typeof retryAfter === 'string' ? retryAfter : undefined,
    },
    body: contentType?.includes('json') && text !== '' ? JSON.parse(text) : text,
    text,
  })
}

describe.each(runtimes)('$name', (runtime) => {
  const missing = runtime.missing()
  if (missing !== undefined && process.env.CI !== 'true') {
    console.warn(`\n!!! SKIPPED: the ${runtime.name} runtime tests: ${missing}\n`)
  }
  const run = missing === undefined || process.env.CI === 'true' ? it : it.skip

  let server: RuntimeServer
  const reference = new Map<RoutePath, RunningApp>()

  beforeAll(async () => {
    if (missing !== undefined) return
    server = await runtime.start(config)
    // Fresh Express apps per runtime: both sides start with empty replay memories.
    for (const route of ROUTES)
      reference.set(route, await express.start(routeOptions(config, route)))
  }, 60_000)

  afterAll(async () => {
    await server?.close()
    for (const app of reference.values()) await app.close()
  })

  run.each(cases)('$name', async ({ route, statuses, requests }) => {
    expect(missing, `the ${runtime.name} runtime is required in CI`).toBeUndefined()
    const got = []
    for (const request of await requests()) {
      const expected = answer(await (reference.get(route) as RunningApp).send(request))
      const actual = await send(server, route, request)
      expect(actual).toEqual(expected)
      got.push((actual as { status: number }).status)
    }
    expect(got).toEqual(statuses)
  })
})
