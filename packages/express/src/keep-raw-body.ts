import type { IncomingMessage, ServerResponse } from 'node:http'

// Symbol.for rather than a private Symbol: two copies of this package in one app (a hoisting
// accident) must still find each other's bytes. Not a string key, so that the bytes never show up
// in `JSON.stringify(req)`, `Object.keys(req)` or a logger's dump of the request.
const RAW_BODY = Symbol.for('@hookseal/express.rawBody')

/**
 * A body-parser `verify` hook that keeps the exact bytes the parser read, so that `webhookVerifier`
 * can verify them on a route an app-wide `express.json()` has already parsed.
 *
 * It works with every body-parser parser (`express.json`, `express.raw`, `express.text`,
 * `express.urlencoded`). The bytes are kept on the request out of sight (no `rawBody` property)
 * and only `webhookVerifier` reads them.
 *
 * > [!NOTE]
 * > The parser's own options apply first: its `limit` (100 KiB by default for `express.json()`)
 * > refuses larger bodies with its own 413 before the webhook route runs, its `strict` mode and
 * > syntax errors answer 400 before the signature is checked, and a compressed body is kept
 * > inflated.
 *
 * @example
 * ```ts
 * app.use(express.json({ verify: keepRawBody }))
 * app.post('/webhooks', webhookVerifier({ verifier }), (req, res) => { … })
 * ```
 */
export function keepRawBody(req: IncomingMessage, _res: ServerResponse, buf: Buffer): void {
  Object.defineProperty(req, RAW_BODY, { value: buf, configurable: true })
}

/** The bytes `keepRawBody` kept for this request, if a parser with that hook read it. */
export function keptRawBody(req: IncomingMessage): Buffer | undefined {
  const kept: unknown = Reflect.get(req, RAW_BODY)
  return Buffer.isBuffer(kept) ? kept : undefined
}
