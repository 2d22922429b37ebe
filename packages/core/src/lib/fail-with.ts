/** Throws the `TypeError` of a caller's mistake; never returns. */
export type Fail = (message: string, cause?: unknown) => never

/** A {@link Fail} whose messages start with where the mistake was made (`loadKeySet: keys[1]`). */
export function failWith(prefix: string): Fail {
  return (message, cause) => {
    throw new TypeError(`${prefix}: ${message}`, cause === undefined ? undefined : { cause })
  }
}
