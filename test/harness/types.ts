import type { VerifiedWebhook, Verifier } from '@hookseal/core'

/**
 * How the framework's usual JSON body parsing is set up around the protected route:
 * - `none`: no app-wide parser (other routes parse JSON per route);
 * - `documented`: the app-wide parser mounted the way the README documents for webhook routes;
 * - `naive`: the app-wide parser mounted in front of everything with no special setup.
 */
export type ParserSetup = 'none' | 'documented' | 'naive'

export interface HarnessOptions {
  verifier: Verifier
  /** The adapter's body limit in bytes; the adapter's default when absent. */
  limit?: number
  /** Called as the adapter's `authorize(webhook, request)`. */
  authorize?: (webhook: VerifiedWebhook) => boolean
  /** Called as the adapter's `validateBody(body, webhook)`. */
  validateBody?: (body: unknown) => boolean
  parser?: ParserSetup
  /**
   * `'forward'`: the adapter hands refusals to the app's own error handler, which the harness
   * installs; it answers `{ handledBy: 'app', code, name }` with the error's status.
   */
  onError?: 'respond' | 'forward'
}

export interface HarnessResponse {
  status: number
  /** Lowercase header names. */
  headers: Record<string, string | undefined>
  /** The response body parsed as JSON when it is JSON, else its text. */
  body: unknown
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
