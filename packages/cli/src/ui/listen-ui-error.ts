import { HooksealError } from '@hookseal/core'

/** Codes of the page's own API, each with the status it answers. */
export const UI_ERROR_STATUS = {
  ERR_UI_TOKEN_INVALID: 403,
  ERR_UI_NOT_FOUND: 404,
  ERR_UI_METHOD_NOT_ALLOWED: 405,
  ERR_UI_REQUEST_FORGOTTEN: 404,
  ERR_UI_NOT_REPRODUCIBLE: 409,
  ERR_UI_BAD_REQUEST: 400,
  ERR_UI_REPLAY_TARGET: 400,
  ERR_UI_REPLAY_FAILED: 502,
} as const

export type ListenUiErrorCode = keyof typeof UI_ERROR_STATUS

/** A refusal of the `listen --ui` page's server, answered as JSON with its code and status. */
export class ListenUiError extends HooksealError {
  declare readonly code: ListenUiErrorCode
  readonly status: number

  constructor(code: ListenUiErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.status = UI_ERROR_STATUS[code]
  }
}
