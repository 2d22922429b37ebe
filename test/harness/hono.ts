import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { publishWebhookSender } from '@hookseal/fetch/hono'
import type { WebhookSenderVariables } from '@hookseal/fetch/hono'
import { deliveryOf, emitted, notEmitted } from './emit.js'
import type { RunningServer, SenderAppOptions, SenderHarness } from './types.js'

/**
 * A Hono sender app on Node as the README shows it: `publishWebhookSender` first, then a route whose
 * handler delivers with `c.get('webhooks')`.
 */
export function buildHonoSenderApp(
  options: SenderAppOptions,
): Hono<{ Variables: WebhookSenderVariables }> {
  const app = new Hono<{ Variables: WebhookSenderVariables }>()
  publishWebhookSender(app, options)
  app.post('/emit', async (c) => {
    try {
      return c.json(emitted(await c.get('webhooks').send(deliveryOf(await c.req.json()))))
    } catch (error) {
      const refusal = notEmitted(error)
      if (refusal === undefined) throw error
      return c.json(refusal, 502)
    }
  })
  return app
}

export const honoSenderHarness: SenderHarness = {
  name: 'hono 4 (@hookseal/fetch on @hono/node-server)',
  async start(options) {
    const app = buildHonoSenderApp(options)
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () =>
        resolve(started),
      )
    })
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    const running: RunningServer = {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()))
        }),
    }
    return running
  },
}
