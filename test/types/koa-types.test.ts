/**
 * Compile-time proofs: `pnpm typecheck` fails when the adapter's types stop carrying what it
 * attaches. The assertions also run, as no-ops, under vitest.
 */
import Router from '@koa/router'
import type Koa from 'koa'
import type { ParameterizedContext } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import { createVerifier } from '@hookseal/core'
import type { VerifiedWebhook } from '@hookseal/core'
import { webhookVerifier } from '@hookseal/koa'
import type { WebhookState, WebhookVerifierMiddleware, WebhookVerifierOptions } from '@hookseal/koa'

const verifier = createVerifier({
  issuers: [
    {
      issuer: 'https://partner.example',
      jwksUri: 'https://partner.example/.well-known/jwks.json',
      audience: 'https://receiver.example/webhooks',
    },
  ],
})

describe('@hookseal/koa types', () => {
  it('types ctx.state.webhook and ctx.request.body in the route after the middleware', () => {
    const router = new Router()
    router.post('/webhooks', webhookVerifier({ verifier }), (ctx) => {
      expectTypeOf(ctx.state.webhook).toEqualTypeOf<VerifiedWebhook>()
      expectTypeOf(ctx.state.webhook.claims.iss).toEqualTypeOf<string>()
      expectTypeOf(ctx.request.body).toEqualTypeOf<unknown>()
      // @ts-expect-error the issuer is a string
      ctx.state.webhook.issuer.toFixed()
      // @ts-expect-error the body is unknown until the route checks it
      ctx.body = ctx.request.body.type
    })
  })

  it('types ctx.state.webhook as possibly absent on routes without the middleware', () => {
    const router = new Router()
    router.post('/other', (ctx) => {
      expectTypeOf(ctx.state.webhook).toEqualTypeOf<VerifiedWebhook | undefined>()
      // @ts-expect-error nothing verified a webhook on this route
      ctx.body = ctx.state.webhook.id
    })
  })

  it('types a plain middleware chain through WebhookState', () => {
    const after = (ctx: ParameterizedContext<WebhookState>) => {
      expectTypeOf(ctx.state.webhook).toEqualTypeOf<VerifiedWebhook>()
    }
    expectTypeOf(webhookVerifier({ verifier })).toEqualTypeOf<WebhookVerifierMiddleware>()
    expectTypeOf(webhookVerifier).returns.toExtend<Koa.Middleware<WebhookState>>()
    expectTypeOf(after).parameter(0).toHaveProperty('state').toEqualTypeOf<WebhookState>()
  })

  it('types the options, with the Koa context given to authorize', () => {
    expectTypeOf<WebhookVerifierOptions['authorize']>()
      .exclude<undefined>()
      .parameters.toEqualTypeOf<[VerifiedWebhook, Koa.Context]>()
    webhookVerifier({
      verifier,
      limit: 64 * 1024,
      authorize: (webhook, ctx) => webhook.issuer === ctx.get('x-partner'),
      validateBody: (body) => typeof body === 'object' && body !== null,
      onError: 'forward',
    })
    // Wrapped so that the misuses are compiled, not run (they throw TypeError).
    expectTypeOf(() => {
      // @ts-expect-error onError is 'respond' or 'forward'
      webhookVerifier({ verifier, onError: 'ignore' })
      // @ts-expect-error a verifier is required
      webhookVerifier({ limit: 1024 })
    }).toBeFunction()
  })
})
