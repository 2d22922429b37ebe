import { expect } from 'vitest'

/**
 * Awaits `promise`, expects it to reject with an instance of `type`, and returns that error for
 * the caller to check its code, status and message.
 *
 * @example
 * ```ts
 * const error = await rejectionOf(verifier.verify(request), WebhookError)
 * expect(error.code).toBe('ERR_SIGNATURE_MISSING')
 * ```
 */
export async function rejectionOf<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(type)
  return error as E
}
