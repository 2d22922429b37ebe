/**
 * The base of every error hookseal throws on purpose: `instanceof HooksealError` tells a hookseal
 * failure from anything else, and `code` is a stable string to branch on, whatever the message says.
 * Caller mistakes in options are `TypeError`s at construction instead, as in the platform.
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify(request)
 * } catch (err) {
 *   if (err instanceof HooksealError) log.warn({ code: err.code }, 'refused')
 * }
 * ```
 */
export class HooksealError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
  }
}
