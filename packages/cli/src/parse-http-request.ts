import { UsageError } from './usage-error.js'

/** A request captured as raw HTTP/1.1 text: request line, headers, blank line, body. */
export interface CapturedRequest {
  method: string
  url: string
  /** Flat `[name, value, …]`, the shape the verifier reads most precisely. */
  rawHeaders: string[]
  body: Buffer
}

const REQUEST_LINE = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/

/** Parses a captured request (LF or CRLF line ends, as editors and `nc` save them). */
export function parseHttpRequest(bytes: Buffer, file: string): CapturedRequest {
  const text = bytes.toString('latin1')
  const match = /\r?\n\r?\n/.exec(text)
  const head = match ? text.slice(0, match.index) : text
  const body = match ? bytes.subarray(match.index + match[0].length) : Buffer.alloc(0)
  const [requestLine = '', ...lines] = head.split(/\r?\n/)
  const request = REQUEST_LINE.exec(requestLine)
  if (!request) {
    throw new UsageError(
      `${file} is not an HTTP request: first line should be "POST /path HTTP/1.1"`,
    )
  }
  const rawHeaders: string[] = []
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon < 1) throw new UsageError(`${file}: bad header line ${JSON.stringify(line)}`)
    rawHeaders.push(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
  }
  return { method: request[1] as string, url: request[2] as string, rawHeaders, body }
}
