import type { JwksResponse } from '@hookseal/core/http'
import type { ExtendableContext } from 'koa'

/** Answers a request with a JWKS rendered by core's `jwksResponder`. */
export function respondWithJwks(
  ctx: ExtendableContext,
  { status, headers, body }: JwksResponse,
): void {
  ctx.status = status
  ctx.set(headers)
  // A string body keeps the Content-Type set above; an object would make Koa reset it to JSON.
  ctx.body = body
}
