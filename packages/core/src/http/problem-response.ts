import { statusTitle } from './status-title.js'
/** What a problem response is made of: a refusal's status, code, message and headers. */
export interface ProblemSource {
  readonly status: number
  readonly code: string
  readonly message: string
  /** Whether `message` may be shown to the caller. */
  readonly expose: boolean
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** An RFC 9457 problem document carrying hookseal's stable error code. */
export interface ProblemDocument {
  type: 'about:blank'
  title: string
  status: number
  /** The error's message when it is safe to show (`expose`); left out otherwise. */
  detail?: string
  code: string
}

/** Everything an adapter needs to answer a refusal. */
export interface ProblemResponse {
  status: number
  headers: Record<string, string>
  body: ProblemDocument
  /**
   * `body` serialised: the exact bytes to send. Sent as bytes, not a string or an object, so that no
   * framework appends a charset or re-serialises it, and every adapter's answer is byte-identical.
   */
  payload: Buffer
}

/**
 * Renders a refusal as `application/problem+json` with the error's own headers: `Retry-After` on 503
 * so that the sender retries, and `Connection: close` on 413 and 408 so that the rest of an
 * oversized or trickling body is never read.
 *
 * @example
 * ```ts
 * const { status, headers, payload } = problemResponse(error)
 * res.writeHead(status, headers).end(payload)
 * ```
 */
export function problemResponse(error: ProblemSource): ProblemResponse {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' }
  Object.assign(headers, error.headers)
  const body: ProblemDocument = {
    type: 'about:blank',
    title: statusTitle(error.status),
    status: error.status,
    ...(error.expose ? { detail: error.message } : {}),
    code: error.code,
  }
  return { status: error.status, headers, body, payload: Buffer.from(JSON.stringify(body)) }
}
