/**
 * Compile-time proofs: `pnpm typecheck` fails when the plugin's module augmentation stops typing
 * what it attaches. The assertions also run, as no-ops, under vitest.
 */
import Fastify from 'fastify5'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify5'
import { describe, expectTypeOf, it } from 'vitest'
import { createVerifier } from '@hookseal/core'
import type { VerifiedWebhook } from '@hookseal/core'
import hooksealFastify from '@hookseal/fastify'
import type { HooksealFastifyOptions, HooksealFastifyRouteOptions } from '@hookseal/fastify'

const verifier = createVerifier({
  issuers: [
    {
      issuer: 'https://partner.example',
      jwksUri: 'https://partner.example/.well-known/jwks.json',
      audience: 'https://receiver.example/webhooks',
    },
  ],
})

describe('@hookseal/fastify types', () => {
  it('types request.webhook on every request, null where no webhook was verified', () => {
    const app = Fastify()
    app.post('/webhooks', { config: { webhook: true } }, async (request) => {
      expectTypeOf(request.webhook).toEqualTypeOf<VerifiedWebhook | null>()
      expectTypeOf(request.body).toEqualTypeOf<unknown>()
      // @ts-expect-error request.webhook is null on routes that do not opt in: check it first
      void request.webhook.issuer
      if (request.webhook === null) return null
      expectTypeOf(request.webhook.claims.iss).toEqualTypeOf<string>()
      // @ts-expect-error the issuer is a string
      request.webhook.issuer.toFixed()
      return request.webhook.id
    })
  })

  it('types the plugin and its options, with the Fastify request given to authorize', () => {
    expectTypeOf(hooksealFastify).toExtend<FastifyPluginAsync<HooksealFastifyOptions>>()
    expectTypeOf<HooksealFastifyOptions['authorize']>()
      .exclude<undefined>()
      .parameters.toEqualTypeOf<[VerifiedWebhook, FastifyRequest]>()
    expectTypeOf<HooksealFastifyRouteOptions['verifier']>().toEqualTypeOf<
      HooksealFastifyOptions['verifier'] | undefined
    >()

    const app = Fastify()
    void app.register(hooksealFastify, { verifier, limit: 64 * 1024, onError: 'forward' })
    // @ts-expect-error the verifier is required
    void app.register(hooksealFastify, { limit: 1024 })
    // @ts-expect-error onError is 'respond' or 'forward'
    void app.register(hooksealFastify, { verifier, onError: 'log' })
  })

  it('types config.webhook on routes: true, or options overriding the plugin options', () => {
    const app = Fastify()
    const handler = async () => null
    app.post('/a', { config: { webhook: true } }, handler)
    app.post('/b', { config: { webhook: false } }, handler)
    app.post(
      '/c',
      {
        config: {
          webhook: {
            limit: 1024,
            authorize: (webhook, request) => webhook.claims.tenant === request.headers['x-tenant'],
            validateBody: (body) => typeof body === 'object',
          },
        },
      },
      handler,
    )
    // @ts-expect-error limit is a number of bytes
    app.post('/d', { config: { webhook: { limit: '1mb' } } }, handler)
  })
})
