import { bodyTooLarge, rawBodyUnavailable, readRawBody } from '@hookseal/core/http'
import type { IncomingMessage } from 'node:http'
import { keptRawBody } from '../keep-raw-body.js'

/**
 * body-parser 1.x (Express 4) sets `_body` on a request it has read, and skips requests that have
 * it; 2.x looks at the stream instead.
 */
type ParsedRequest = IncomingMessage & { _body?: boolean }

const FIX =
  'give that parser the verify hook from @hookseal/express, as in ' +
  'app.use(express.json({ verify: keepRawBody })), or register the webhook route before the parser'

/**
 * The exact bytes of this request's body: those `keepRawBody` kept when an app-wide parser read
 * them, else read from the stream here, bounded by `limit` and `timeout`. A body a parser took without keeping
 * it is refused at once rather than waited for, and never rebuilt from `req.body`.
 */
export async function requestRawBody(
  req: IncomingMessage,
  limit: number,
  timeout: number,
): Promise<Buffer> {
  const kept = keptRawBody(req)
  if (kept !== undefined) {
    if (kept.length > limit) throw bodyTooLarge(limit)
    return kept
  }
  const request: ParsedRequest = req
  if (request._body === true || request.readableEnded) {
    throw rawBodyUnavailable(FIX)
  }
  const raw = await readRawBody(request, limit, { fix: FIX, timeout })
  // A later body-parser 1.x would otherwise try to read the ended stream again and never finish.
  request._body = true
  return raw
}
