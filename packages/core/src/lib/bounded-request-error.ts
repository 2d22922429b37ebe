/** Why a request broke a limit or a response ended early. */
export type BoundedRequestFailure = 'timeout' | 'too-large' | 'incomplete'

/** A request that broke one of its limits; network errors are passed on as Node raised them. */
export class BoundedRequestError extends Error {
  readonly reason: BoundedRequestFailure
  /** The `Content-Length` the response declared, when that alone was over the size cap. */
  readonly declaredBytes: number | undefined

  constructor(reason: BoundedRequestFailure, message: string, declaredBytes?: number) {
    super(message)
    this.name = new.target.name
    this.reason = reason
    this.declaredBytes = declaredBytes
  }
}
