/**
 * Compile-time proofs: `pnpm typecheck` fails when `publishWebhookSender` stops typing the sender it
 * exposes. The assertions also run, as no-ops, under vitest.
 */
import type { RequestHandler } from 'express'
import { describe, expectTypeOf, it } from 'vitest'
import { createSender, createSigner } from '@hookseal/core/send'
import type { DeliveryResult, Sender, SigningKeySet } from '@hookseal/core/send'
import { createTestKeySet } from '@hookseal/core/testing'
import { jwksHandler, publishWebhookSender } from '@hookseal/express'
import type { JwksHandlerOptions, PublishWebhookSenderOptions } from '@hookseal/express'
import { expressMajors } from '../harness/express.js'

const keys: SigningKeySet = await createTestKeySet()
const sender: Sender = createSender({
  signer: createSigner({ issuer: 'https://shop.example', keys }),
  onDeadLetter: () => {},
})

describe.each(expressMajors)('@hookseal/express sender types ($name)', ({ express }) => {
  it('types app.locals.webhooks, req.app.locals.webhooks and res.locals.webhooks as Sender', () => {
    const app = express()
    expectTypeOf(publishWebhookSender(app, { sender, keys })).toEqualTypeOf<void>()
    expectTypeOf(app.locals.webhooks).toEqualTypeOf<Sender>()
    app.post('/emit', (req, res) => {
      expectTypeOf(req.app.locals.webhooks).toEqualTypeOf<Sender>()
      expectTypeOf(res.app.locals.webhooks).toEqualTypeOf<Sender>()
      expectTypeOf(res.locals.webhooks).toEqualTypeOf<Sender>()
      expectTypeOf(req.app.locals.webhooks.send).returns.resolves.toEqualTypeOf<DeliveryResult>()
      // @ts-expect-error a delivery needs the bytes to send
      void req.app.locals.webhooks.send({ url: 'https://hooks.partner.example/orders' })
    })
  })

  it('types the options: a Sender and a key set are required, path and maxAge optional', () => {
    const app = express()
    publishWebhookSender(app, { sender, keys, path: '/keys.json', maxAge: 600 })
    expectTypeOf<PublishWebhookSenderOptions['path']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<JwksHandlerOptions['maxAge']>().toEqualTypeOf<number | undefined>()
    expectTypeOf(jwksHandler(keys, { maxAge: 60 })).toEqualTypeOf<RequestHandler>()
    // Wrapped so that the misuses are compiled, not run (they throw TypeError).
    expectTypeOf(() => {
      // @ts-expect-error the sender is required
      publishWebhookSender(app, { keys })
      // @ts-expect-error a key set from loadKeySet, not a JWKS document
      publishWebhookSender(app, { sender, keys: { keys: [] } })
      // @ts-expect-error maxAge is a number of seconds
      jwksHandler(keys, { maxAge: '5m' })
    }).toBeFunction()
  })
})
