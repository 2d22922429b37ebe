/**
 * Wraps an optional event listener so that calling it can never throw: a listener is the user's
 * observation of hookseal, and its failure must not decide a verification or a delivery, crash a
 * worker, or surface as an unhandled rejection from background work.
 *
 * @example
 * ```ts
 * const emit = callListener(options.onEvent)
 * emit({ type: 'jwks-fetch', … })
 * ```
 */
export function callListener<Event>(
  listener: ((event: Event) => void) | undefined,
): (event: Event) => void {
  if (listener === undefined) return () => {}
  return (event) => {
    try {
      listener(event)
    } catch {
      // Deliberately ignored: see above.
    }
  }
}
