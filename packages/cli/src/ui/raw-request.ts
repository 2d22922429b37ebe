import type { LoggedRequest } from './describe-arrival.js'

/**
 * The request as HTTP/1.1 text (request line, headers, blank line, body), the format
 * `hookseal verify --request` reads. Header text goes back out as the bytes Node read it from.
 */
export function rawRequest(entry: LoggedRequest): Buffer {
  let head = `${entry.method} ${entry.url} HTTP/1.1\r\n`
  for (let i = 0; i + 1 < entry.rawHeaders.length; i += 2) {
    head += `${entry.rawHeaders[i]}: ${entry.rawHeaders[i + 1]}\r\n`
  }
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), entry.body])
}
