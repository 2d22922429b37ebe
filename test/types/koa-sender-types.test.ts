/**
 * Compile-time proofs: `pnpm typecheck` fails when `publishWebhookSender` stops typing the sender it
 * exposes. The assertions also run, as no-ops, under vitest.
 */
import Router from '@koa/router'
import type Koa from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import { createVerifier } from '@hookseal/core'
import { createSender, createSigner } from '@hookseal/core/send'
import type { DeliveryResult, Sender, SigningKeySet } from '@hookseal/core/send'
import { createTestKeySet } from '@hookseal/core/testing'
import { jwksHandler, jwksMiddleware, publishWebhookSender, webhookVerifier } from '@hookseal/koa'
import type { JwksMiddlewareOptions, PublishWebhookSenderOptions } from '@hookseal/koa'
import { koaMajors } from '../harness/koa.js'

const keys: SigningKeySet = await createTestKeySet()
const sender: Sender = createSender({
  signer: createSigner({ issuer: 'https://shop.example', keys }),
  onDeadLetter: () => {},
})
const verifier = createVerifier({
  issuers: [
    {
      issuer: 'https://partner.example',
      jwksUri: 'https://partner.example/.well-known/jwks.json',
      audience: 'https://shop.example/webhooks',
    },
  ],
})

describe.each(koaMajors)('@hookseal/koa sender types ($name)', ({ Koa }) => {
  it('types ctx.webhooks as Sender in app middleware and router handlers', () => {
    const app = new Koa()
    expectTypeOf(publishWebhookSender(app, { sender, keys })).toEqualTypeOf<void>()
    expectTypeOf(app.context.webhooks).toEqualTypeOf<Sender>()
    app.use(async (ctx) => {
      expectTypeOf(ctx.webhooks).toEqualTypeOf<Sender>()
      expectTypeOf(ctx.webhooks.send).returns.resolves.toEqualTypeOf<DeliveryResult>()
      // @ts-expect-error a delivery needs the receiver's URL
      await ctx.webhooks.send({ body: '{}' })
    })
    const router = new Router()
    router.post('/emit', (ctx) => {
      expectTypeOf(ctx.webhooks).toEqualTypeOf<Sender>()
    })
    // Beside a verified webhook's state, on a route that forwards what it received.
    router.post('/relay', webhookVerifier({ verifier }), (ctx) => {
      expectTypeOf(ctx.webhooks).toEqualTypeOf<Sender>()
      expectTypeOf(ctx.state.webhook.id).toEqualTypeOf<string>()
    })
  })

  it("fits an app typed with a state and context of its own, which declares what's on it", () => {
    interface AppState {
      user: string
    }
    interface AppContext extends Koa.DefaultContext {
      db: { query(sql: string): Promise<unknown> }
    }
    const app = new Koa<AppState, AppContext>()
    publishWebhookSender(app, { sender, keys })
    app.use(jwksMiddleware(keys, { path: '/keys.json' }))
    app.use((ctx) => {
      expectTypeOf(ctx.webhooks).toEqualTypeOf<Sender>()
      expectTypeOf(ctx.state.user).toEqualTypeOf<string>()
    })
  })

  it('types the options and the JWKS middleware', () => {
    const app = new Koa()
    publishWebhookSender(app, { sender, keys, path: '/keys.json', maxAge: 600 })
    expectTypeOf<PublishWebhookSenderOptions['path']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<JwksMiddlewareOptions['maxAge']>().toEqualTypeOf<number | undefined>()
    expectTypeOf(jwksMiddleware(keys)).toEqualTypeOf<Koa.Middleware>()
    expectTypeOf(jwksHandler(keys, { maxAge: 60 })).toEqualTypeOf<Koa.Middleware>()
    // Wrapped so that the misuses are compiled, not run (they throw TypeError).
    expectTypeOf(() => {
      // @ts-expect-error the sender is required
      publishWebhookSender(app, { keys })
      // @ts-expect-error a key set from loadKeySet, not a JWKS document
      jwksMiddleware({ keys: [] })
      // @ts-expect-error the path is a string
      jwksMiddleware(keys, { path: /jwks/ })
    }).toBeFunction()
  })
})
