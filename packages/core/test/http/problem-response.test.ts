import { STATUS_CODES } from 'node:http'
import { describe, expect, it } from 'vitest'
import { JwksUnavailableError, WEBHOOK_ERROR_STATUS, WebhookError } from '../../src/index.js'
import { problemResponse, rawBodyUnavailable } from '../../src/http/index.js'
import type { WebhookErrorCode } from '../../src/index.js'

describe('problemResponse', () => {
  it('titles every status a refusal can carry as node:http does, on every runtime', () => {
    for (const [code, status] of Object.entries(WEBHOOK_ERROR_STATUS)) {
      const { body } = problemResponse(new WebhookError(code as WebhookErrorCode, 'refused'))
      expect({ code, title: body.title }).toEqual({ code, title: STATUS_CODES[status] })
    }
  })

  it('renders an RFC 9457 document with the stable code and the message', () => {
    const { payload, ...response } = problemResponse(
      new WebhookError('ERR_REPLAY', 'already received'),
    )
    expect(JSON.parse(payload.toString('utf8'))).toEqual(response.body)
    expect(response).toEqual({
      status: 401,
      headers: { 'content-type': 'application/problem+json' },
      body: {
        type: 'about:blank',
        title: 'Unauthorized',
        status: 401,
        detail: 'already received',
        code: 'ERR_REPLAY',
      },
    })
  })

  it('adds Retry-After to a 503 and keeps its message out of the body', () => {
    const response = problemResponse(new JwksUnavailableError('endpoint at 10.0.0.7 down', 12.2))
    expect(response.status).toBe(503)
    expect(response.headers['retry-after']).toBe('13')
    expect(response.body.detail).toBeUndefined()
  })

  it('closes the connection after a 413 or a 408 so the rest of the body is never read', () => {
    for (const code of ['ERR_BODY_TOO_LARGE', 'ERR_BODY_TIMEOUT'] as const) {
      const error = new WebhookError(code, 'refused')
      expect(error.headers).toEqual({ connection: 'close' })
      expect(problemResponse(error).headers.connection).toBe('close')
    }
    expect(new WebhookError('ERR_REPLAY', 'again').headers).toBeUndefined()
  })

  it('shows how to fix a body parser that took the raw bytes', () => {
    const response = problemResponse(rawBodyUnavailable())
    expect(response.status).toBe(500)
    expect(response.body.detail).toMatch(/body parser.*README/)
  })

  it('gives every code in the table its status, as status and statusCode', () => {
    for (const [code, status] of Object.entries(WEBHOOK_ERROR_STATUS)) {
      const error = new WebhookError(code as WebhookErrorCode, 'x')
      expect([error.status, error.statusCode, problemResponse(error).status]).toEqual([
        status,
        status,
        status,
      ])
    }
  })
})
