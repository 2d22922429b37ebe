import { expect } from 'vitest'
import { WebhookError } from '../../src/index.js'

/** The code and status a verification was refused with; fails the test if it was not refused. */
export async function refusal(
  promise: Promise<unknown>,
): Promise<{ code: string; status: number }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(WebhookError)
  const { code, status } = error as WebhookError
  return { code, status }
}
