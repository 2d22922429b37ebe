/**
 * Compile-time proofs: `pnpm typecheck` fails when the `hooksealSender` plugin stops typing the
 * sender it decorates the instance with. The assertions also run, as no-ops, under vitest.
 */
import Fastify from 'fastify5'
import type { FastifyPluginAsync } from 'fastify5'
import { describe, expectTypeOf, it } from 'vitest'
import { createSender, createSigner } from '@hookseal/core/send'
import type { DeliveryResult, Sender, SigningKeySet } from '@hookseal/core/send'
import { createTestKeySet } from '@hookseal/core/testing'
import { hooksealSender, jwksHandler } from '@hookseal/fastify'
import type { HooksealSenderOptions } from '@hookseal/fastify'

const keys: SigningKeySet = await createTestKeySet()
const sender: Sender = createSender({
  signer: createSigner({ issuer: 'https://shop.example', keys }),
  onDeadLetter: () => {},
})

describe('@hookseal/fastify sender types', () => {
  it('types fastify.webhooks, this.webhooks and request.server.webhooks as Sender', () => {
    const app = Fastify()
    void app.register(hooksealSender, { sender, keys })
    expectTypeOf(app.webhooks).toEqualTypeOf<Sender>()
    app.post('/emit', async function (request) {
      expectTypeOf(this.webhooks).toEqualTypeOf<Sender>()
      expectTypeOf(request.server.webhooks).toEqualTypeOf<Sender>()
      expectTypeOf(this.webhooks.send).returns.resolves.toEqualTypeOf<DeliveryResult>()
      // @ts-expect-error the method is POST or PUT
      return this.webhooks.send({ url: 'https://hooks.partner.example/', body: '', method: 'GET' })
    })
  })

  it('types the plugin and its options', () => {
    expectTypeOf(hooksealSender).toExtend<FastifyPluginAsync<HooksealSenderOptions>>()
    expectTypeOf<HooksealSenderOptions['path']>().toEqualTypeOf<string | undefined>()
    const app = Fastify()
    void app.register(hooksealSender, { sender, keys, path: '/keys.json', maxAge: 600 })
    app.get('/keys.json', jwksHandler(keys, { maxAge: 60 }))
    // @ts-expect-error the sender is required
    void app.register(hooksealSender, { keys })
    // @ts-expect-error maxAge is a number of seconds
    void app.register(hooksealSender, { sender, keys, maxAge: '5m' })
  })
})
