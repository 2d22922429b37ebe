/**
 * Compile-time proofs: `pnpm typecheck` fails when the adapter's types stop carrying what it
 * attaches. The assertions also run, as no-ops, under vitest.
 */
import type { Request, RequestHandler } from 'express'
import { describe, expectTypeOf, it } from 'vitest'
import { createVerifier } from '@hookseal/core'
import type { VerifiedWebhook } from '@hookseal/core'
import { keepRawBody, webhookVerifier } from '@hookseal/express'
import type { WebhookVerifierMiddleware, WebhookVerifierOptions } from '@hookseal/express'
import { expressMajors } from '../harness/express.js'

const verifier = createVerifier({
  issuers: [
    {
      issuer: 'https://partner.example',
      jwksUri: 'https://partner.example/.well-known/jwks.json',
      audience: 'https://receiver.example/webhooks',
    },
  ],
})

describe.each(expressMajors)('@hookseal/express types ($name)', ({ express }) => {
  it('types req.webhook on every request, as absent until the middleware sets it', () => {
    const app = express()
    app.post('/webhooks', webhookVerifier({ verifier }), (req, res) => {
      expectTypeOf(req.webhook).toEqualTypeOf<VerifiedWebhook | undefined>()
      // @ts-expect-error Express types every route's request alike: check the webhook is there
      res.json({ id: req.webhook.id })
      if (req.webhook !== undefined) {
        expectTypeOf(req.webhook.claims.iss).toEqualTypeOf<string>()
        expectTypeOf(req.webhook.bodyDigestVerified).toEqualTypeOf<boolean>()
      }
    })
    app.post('/other', (req) => {
      // @ts-expect-error the verified webhook is not something a handler can make up
      req.webhook = { issuer: 'https://partner.example' }
    })
  })

  it("keeps Express's own typing of the handlers after it, route parameters included", () => {
    const app = express()
    app.post('/webhooks/:tenant', webhookVerifier({ verifier }), (req) => {
      expectTypeOf(req.params.tenant).toEqualTypeOf<string>()
      // @ts-expect-error the route has no such parameter
      expectTypeOf(req.params.account).toEqualTypeOf<string>()
    })
    app.post(
      '/typed',
      webhookVerifier({ verifier }),
      (req: Request<Record<string, string>, unknown, { type: string }>) => {
        expectTypeOf(req.body.type).toEqualTypeOf<string>()
      },
    )
    expectTypeOf(webhookVerifier({ verifier })).toExtend<RequestHandler>()
  })

  it('fits keepRawBody into every body-parser parser as its verify hook', () => {
    express.json({ verify: keepRawBody })
    express.raw({ verify: keepRawBody })
    express.text({ verify: keepRawBody })
    express.urlencoded({ verify: keepRawBody, extended: false })
  })

  it('types the options: authorize gets the Express request, limit is bytes', () => {
    webhookVerifier({
      verifier,
      authorize: (webhook, req) => {
        expectTypeOf(webhook).toEqualTypeOf<VerifiedWebhook>()
        expectTypeOf(req).toEqualTypeOf<Request>()
        return webhook.claims.tenant === req.params.tenant
      },
      validateBody: (body) => typeof body === 'object',
    })
    // Never called: these only have to fail to compile (at run time they would throw TypeError).
    const misuses = [
      // @ts-expect-error the limit is a number of bytes, not body-parser's '1mb'
      () => webhookVerifier({ verifier, limit: '1mb' }),
      // @ts-expect-error only 'respond' and 'forward'
      () => webhookVerifier({ verifier, onError: 'ignore' }),
      // @ts-expect-error the verifier is required
      () => webhookVerifier({ limit: 1024 }),
    ]
    expectTypeOf(misuses).items.returns.toEqualTypeOf<WebhookVerifierMiddleware>()
    expectTypeOf<WebhookVerifierOptions['onError']>().toEqualTypeOf<
      'respond' | 'forward' | undefined
    >()
  })
})
