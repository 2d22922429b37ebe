import type { WebhookError } from '../errors/webhook-error.js'

/**
 * Whether an adapter that answers a refusal itself should also report it where its framework
 * reports errors (Koa's `app.on('error')`, Fastify's request logger, an Express app's `'error'`
 * event). A 5xx is the receiver's to fix: a body parser in front of the route, the sender's keys or
 * the replay store out of reach. A 4xx is the sender's doing, and reporting it would only let any
 * caller flood the receiver's logs. A forwarded refusal is reported by the app's error handling.
 *
 * @example
 * ```ts
 * if (shouldReportRefusal(error)) ctx.app.emit('error', error, ctx)
 * ```
 */
export function shouldReportRefusal(error: WebhookError): boolean {
  return error.status >= 500
}
