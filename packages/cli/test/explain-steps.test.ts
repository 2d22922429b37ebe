import { WEBHOOK_ERROR_STATUS } from '@hookseal/core'
import type { WebhookErrorCode } from '@hookseal/core'
import { describe, expect, it } from 'vitest'
import { STEP_OF_CODE, STEPS, stepOf } from '../src/explain-steps.js'

const CODES = Object.keys(WEBHOOK_ERROR_STATUS) as WebhookErrorCode[]

describe('the explanation steps', () => {
  it('place every error code the verifier has, and no other', () => {
    expect(Object.keys(STEP_OF_CODE).sort()).toEqual([...CODES].sort())
  })

  it('give every refusal verify() can make (401 and 503) one of the checklist steps', () => {
    for (const code of CODES) {
      const status = WEBHOOK_ERROR_STATUS[code]
      if (status !== 401 && status !== 503) continue
      expect(STEPS, code).toContain(stepOf(code))
    }
  })

  it('put only a missing, repeated, ambiguous or oversized token at "token found"', () => {
    const atFirstStep = CODES.filter((code) => stepOf(code) === 'token found').sort()
    expect(atFirstStep).toEqual([
      'ERR_SIGNATURE_AMBIGUOUS',
      'ERR_SIGNATURE_DUPLICATE',
      'ERR_SIGNATURE_MISSING',
      'ERR_TOKEN_TOO_LARGE',
    ])
  })
})
