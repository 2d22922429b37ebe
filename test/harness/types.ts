import type { VerifiedWebhook, Verifier } from '@hookseal/core'
import type { Sender, SigningKeySet } from '@hookseal/core/send'

/**
 * How the framework's usual JSON body parsing is set up around the protected route:
 * - `none`: no app-wide parser (other routes parse JSON per route);
 * - `documented`: the app-wide parser mounted the way the README documents for webhook routes;
 * - `naive`: the app-wide parser mounted in front of everything with no special setup;
 * - `drained`: something in front of the route the adapter cannot see reads the body to its end
 *   (a middleware, a Fastify `preParsing` hook), so that its raw bytes are gone on every framework.
 */
export type ParserSetup = 'none' | 'documented' | 'naive' | 'drained'

export interface HarnessOptions {
  verifier: Verifier
  /** The adapter's body limit in bytes; the adapter's default when absent. */
  limit?: number
  /** The adapter's `bodyTimeout` in milliseconds; the adapter's default when absent. */
  bodyTimeout?: number
  /** Called as the adapter's `authorize(webhook, request)`. */
  authorize?: (webhook: VerifiedWebhook) => boolean
  /** Called as the adapter's `validateBody(body, webhook)`. */
  validateBody?: (body: unknown) => boolean
  parser?: ParserSetup
  /**
   * `'forward'`: the adapter hands refusals to the app's own error handler, which the harness
   * installs; it answers `{ handledBy: 'app', code, name }` with the error's status and, as the
   * frameworks' default handlers do, the error's `headers`.
   */
  onError?: 'respond' | 'forward'
  /** Called by the protected route's handler with what reached it, before it answers. */
  onWebhook?: (received: ReceivedWebhook) => void
  /**
   * Called with each error the adapter reports through its framework's own channel: an Express
   * app's or Koa's `'error'` event, Fastify's logger at level error (with the logged `err`).
   */
  onReport?: (error: ReportedError) => void
}

/** What a report carries, whichever framework's channel it came through. */
export interface ReportedError {
  code?: unknown
  status?: unknown
}

/** What reached a protected route's handler. */
export interface ReceivedWebhook {
  webhook: VerifiedWebhook
  /** The request's `Webhook-Id` header: the sender's event id, the same on every retry. */
  webhookId: string | undefined
  /** The body the adapter attached: parsed JSON for JSON content types, else the raw bytes. */
  body: unknown
}

export interface HarnessResponse {
  status: number
  /** Lowercase header names. */
  headers: Record<string, string | undefined>
  /** The response body parsed as JSON when it is JSON, else its text. */
  body: unknown
  /** The response body exactly as sent, as UTF-8 text. */
  text: string
}

export interface HarnessRequest {
  /** @default '/webhooks' */
  path?: string
  headers: Record<string, string>
  body: string | Buffer
}

/**
 * One app started by a harness. It has:
 * - `POST /webhooks`, protected by the adapter; its handler answers 200 with
 *   `{ issuer, kid, id, body, bodyIsBytes }` taken from what the adapter attached;
 * - `POST /other`, not protected, parsing JSON the framework's usual way and answering
 *   `{ body }`, to show the adapter leaves other routes alone.
 */
export interface RunningApp {
  /** One request through the framework's own test client (supertest, or Fastify's inject). */
  send(request: HarnessRequest): Promise<HarnessResponse>
  /** Base URL of the same app listening on 127.0.0.1, for raw-socket tests. */
  readonly url: string
  close(): Promise<void>
}

export interface AdapterHarness {
  /** Framework and major version, e.g. 'express 4'. */
  readonly name: string
  start(options: HarnessOptions): Promise<RunningApp>
}

/** How a sender app publishes its JWKS and which sender its handlers reach. */
export interface SenderAppOptions {
  sender: Sender
  keys: SigningKeySet
  /** The JWKS route; the adapter's default when absent. */
  path?: string
  /** The JWKS `Cache-Control: max-age`; core's default when absent. */
  maxAge?: number
}

/**
 * A sender app listening on 127.0.0.1. It has:
 * - the adapter's JWKS route (`path`, `/.well-known/jwks.json` by default);
 * - `POST /emit`, whose handler delivers `{ url, event, webhookId?, audience? }` with the sender the
 *   adapter exposes, answering 200 with {@link Emitted}, or 502 with {@link NotEmitted} when the
 *   sender gave up.
 */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  close(): Promise<void>
}

export interface SenderHarness {
  /** Framework and major version, e.g. 'koa 3'. */
  readonly name: string
  start(options: SenderAppOptions): Promise<RunningServer>
}
