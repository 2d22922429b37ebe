/** What one attempt is about to send, for what signs or authenticates each attempt afresh. */
export interface AttemptRequest {
  readonly method: 'POST' | 'PUT'
  readonly url: URL
  /** The delivery's own headers, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
  /** The event's id, the same on every attempt. */
  readonly webhookId: string
}

/** Headers computed for one attempt, e.g. a signature or an OAuth 1.0a `Authorization`. */
export type AttemptHeaders = (request: AttemptRequest) => Record<string, string>
