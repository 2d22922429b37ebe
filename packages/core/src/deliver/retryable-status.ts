/**
 * Whether a later attempt may get a different answer: 408 Request Timeout, 425 Too Early, 429 Too
 * Many Requests, and every 5xx. Any other 4xx says the request itself is wrong, and a 3xx points
 * elsewhere, which is the receiver's configuration to fix, not something to follow.
 *
 * @example
 * ```ts
 * isRetryableStatus(503) // true
 * isRetryableStatus(404) // false
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599)
}
