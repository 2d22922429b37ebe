/**
 * The reason phrases of the statuses a refusal can carry, as Node's `http.STATUS_CODES` words them,
 * kept here so that problem documents are byte-identical on runtimes without node:http.
 */
const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/** The reason phrase of `status`, or `Error` for one no refusal uses. */
export function statusTitle(status: number): string {
  return TITLES[status] ?? 'Error'
}
