import type { LoggedRequest } from './describe-arrival.js'

/**
 * Why a logged request cannot be sent again byte for byte (copied as curl, downloaded, replayed),
 * or undefined when it can: a body cut short would only ever be refused.
 */
export function unreproducible(entry: LoggedRequest): string | undefined {
  if (entry.bodyBytes === undefined) return 'the body was refused before it arrived whole'
  if (entry.truncated) {
    return `only the first ${entry.body.length} of its ${entry.bodyBytes} body bytes are kept (--ui-body-limit)`
  }
  return undefined
}
