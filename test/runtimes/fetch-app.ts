/**
 * The receiver every runtime serves, built from @hookseal/fetch alone so that the same file runs on
 * Node, Bun, Deno and workerd. Its settings cross the process boundary as JSON, so every route's
 * options are data here, and the Express app the answers are compared with is built from the same
 * {@link routeOptions}.
 */
import { Hono } from 'hono'
import { createVerifier } from '@hookseal/core'
import type { VerifiedWebhook } from '@hookseal/core'
import { withWebhook } from '@hookseal/fetch'
import { webhookVerifier } from '@hookseal/fetch/hono'
import type { WebhookVariables } from '@hookseal/fetch/hono'

/** Everything the receiver needs to know about the senders, as JSON. */
export interface RuntimeConfig {
  readonly issuer: string
  readonly audience: string
  readonly origin: string
  readonly jwksUri: string
  /** A JWKS endpoint that is down, for the 503 route. */
  readonly downJwksUri: string
  readonly swSecret: string
  readonly swPublicKey: string
  readonly consumer: { readonly key: string; readonly secret: string }
}

/** Each protected route of the app, by path. `/plain` is served by `withWebhook` without Hono. */
export const ROUTES = ['/webhooks', '/plain', '/limited', '/forbidden', '/strict', '/down'] as const
export type RoutePath = (typeof ROUTES)[number]

/** A route's adapter options: the same for Express, Hono and `withWebhook`. */
export interface RouteOptions {
  verifier: ReturnType<typeof createVerifier>
  limit?: number
  authorize?: (webhook: VerifiedWebhook) => boolean
  validateBody?: (body: unknown) => boolean
}

/** A fresh verifier per route, so that each route keeps its own replay memory. */
export function routeOptions(config: RuntimeConfig, route: RoutePath): RouteOptions {
  const verifier = createVerifier({
    senders: [
      {
        scheme: 'jwt',
        issuer: config.issuer,
        jwksUri: route === '/down' ? config.downJwksUri : config.jwksUri,
        audience: config.audience,
        algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      },
      {
        scheme: 'standard-webhooks',
        id: 'billing',
        secrets: [config.swSecret],
        publicKeys: [config.swPublicKey],
      },
      {
        scheme: 'oauth1',
        id: 'mx',
        origin: config.origin,
        consumers: (key) =>
          key === config.consumer.key ? { secret: config.consumer.secret } : undefined,
      },
    ],
    allowInsecureHttp: true,
  })
  switch (route) {
    case '/limited':
      return { verifier, limit: 64 }
    case '/forbidden':
      return { verifier, authorize: () => false }
    case '/strict':
      return {
        verifier,
        validateBody: (body) => typeof body === 'object' && body !== null && 'type' in body,
      }
    default:
      return { verifier }
  }
}

/** What a protected route answers, as the Express harness's handler does. */
function answer(webhook: VerifiedWebhook, body: unknown): Response {
  const bodyIsBytes = body instanceof Uint8Array
  return Response.json({
    issuer: webhook.issuer,
    kid: webhook.kid,
    id: webhook.id,
    body: bodyIsBytes ? new TextDecoder().decode(body) : body,
    bodyIsBytes,
  })
}

/** The app: a Hono app whose `fetch` every runtime serves. */
export function createFetchApp(config: RuntimeConfig): Hono<{ Variables: WebhookVariables }> {
  const app = new Hono<{ Variables: WebhookVariables }>()
  for (const route of ROUTES) {
    const options = routeOptions(config, route)
    if (route === '/plain') {
      const handle = withWebhook(options, (_request, webhook, body) => answer(webhook, body))
      app.post(route, (c) => handle(c.req.raw))
      continue
    }
    app.post(route, webhookVerifier(options), (c) => answer(c.get('webhook'), c.get('webhookBody')))
  }
  return app
}
