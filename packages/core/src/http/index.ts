/**
 * The adapter kit, for authors of framework adapters and of packages built on core (stores,
 * queues): everything an adapter needs so that it holds no verification logic, status or default of
 * its own. Application code does not need this entry point.
 *
 * - `createWebhookRoute`: the per-route pipeline (verify, `authorize`, parse, `validateBody`).
 * - `readRawBody`, `bodyTooLarge`, `bodyTimedOut`, `rawBodyUnavailable`: bounded raw body reading
 *   and its errors.
 * - `problemResponse`: the RFC 9457 answer for a refusal, byte-identical in every adapter;
 *   `shouldReportRefusal`: which refusals an adapter reports through its framework's error channel.
 * - `createConnectionRoutes`: the customer connection routes (`/connect/:customer`, `/callback`).
 * - `jwksResponder`, `checkJwksPath`, `checkSenderPublication`: publishing a sender's JWKS.
 * - `numberOption`, `failWith`, `callListener`: option checks and listener calls worded and
 *   guarded the way core does it.
 *
 * @packageDocumentation
 */
export { createWebhookRoute } from './create-webhook-route.js'
export { bodyTimedOut, bodyTooLarge, readRawBody, rawBodyUnavailable } from './read-raw-body.js'
export { problemResponse } from './problem-response.js'
export { createConnectionRoutes } from './create-connection-routes.js'
export { shouldReportRefusal } from './should-report-refusal.js'
export { jwksResponder } from './jwks-response.js'
export { checkJwksPath, checkSenderPublication, DEFAULT_JWKS_PATH } from './sender-publication.js'
export { numberOption, MAX_TIMER_MS } from '../lib/number-option.js'
export { failWith } from '../lib/fail-with.js'
export { callListener } from '../lib/call-listener.js'
export { traceQueueHop } from '../telemetry/trace-queue-hop.js'
export { observeGauge } from '../telemetry/observe-gauge.js'

export type { AcceptedWebhook, WebhookRoute, WebhookRouteOptions } from './create-webhook-route.js'
export type { ProblemDocument, ProblemResponse, ProblemSource } from './problem-response.js'
export type {
  ConnectionRouteResponse,
  ConnectionRoutes,
  ConnectionRoutesOptions,
} from './create-connection-routes.js'
export type { ReadRawBodyOptions } from './read-raw-body.js'
export type { JwksResponse, JwksResponseOptions } from './jwks-response.js'
export type { SenderPublicationOptions } from './sender-publication.js'
export type { Fail } from '../lib/fail-with.js'
export type { NumberRule } from '../lib/number-option.js'
export type { QueueHop, TraceContext } from '../telemetry/trace-queue-hop.js'
export type { GaugeReading } from '../telemetry/observe-gauge.js'
