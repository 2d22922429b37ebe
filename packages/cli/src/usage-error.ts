/** Bad input from the person at the keyboard: a missing flag, an unreadable file, a bad URL. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Exit codes: 0 success, 1 a verification or delivery that failed, 2 bad usage or input. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const
