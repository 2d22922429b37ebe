import type { LoggedRequest } from './describe-arrival.js'

/** One line of the page's list, as sent over the event stream. */
export type RequestSummary = { id: number } & Pick<
  LoggedRequest,
  'at' | 'method' | 'url' | 'scheme' | 'sender' | 'senderVerified' | 'valid' | 'status' | 'code'
>

export function summarize(id: number, entry: LoggedRequest): RequestSummary {
  const { at, method, url, scheme, sender, senderVerified, valid, status, code } = entry
  return { id, at, method, url, scheme, sender, senderVerified, valid, status, code }
}
