import { shellQuote } from '../commands/sign.js'
import { CONNECTION_HEADERS } from './connection-headers.js'
import type { LoggedRequest } from './describe-arrival.js'
import { unreproducible } from './unreproducible.js'

/** Headers curl adds unless told not to; removed when the request did not have them. */
const CURL_DEFAULTS = ['user-agent', 'accept', 'content-type']

const PRINTABLE = /^[\x20-\x7e]*$/

/**
 * The body as a `printf` format in single quotes: printable ASCII as is, every other byte (and
 * `'`, `\`, `%`) as a POSIX octal escape, so the command is plain ASCII that a terminal shows as
 * it is and that the shell turns back into the exact bytes.
 */
function printfFormat(body: Buffer): string {
  let format = ''
  for (const byte of body) {
    const plain = byte >= 0x20 && byte < 0x7f && byte !== 0x27 && byte !== 0x5c && byte !== 0x25
    format += plain ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`
  }
  return `'${format}'`
}

/**
 * A shell command that sends the logged request again to `origin`, byte for byte: method, path
 * (`--path-as-is`, `--globoff`), headers in their order and the body through `printf`. Header text
 * that is not printable ASCII cannot be put in a command that shows what it sends, so it is said
 * instead of guessed at.
 */
export function curlOfRequest(
  entry: LoggedRequest,
  origin: string,
): { command: string } | { unavailable: string } {
  const reason = unreproducible(entry)
  if (reason !== undefined) return { unavailable: reason }
  const names = new Set<string>()
  const parts = ['curl', '--globoff', '--path-as-is', '-X', entry.method]
  if (!PRINTABLE.test(entry.url))
    return { unavailable: 'the request target is not printable ASCII' }
  parts.push(shellQuote(`${origin}${entry.url}`))
  for (let i = 0; i + 1 < entry.rawHeaders.length; i += 2) {
    const name = entry.rawHeaders[i] as string
    const value = entry.rawHeaders[i + 1] as string
    if (CONNECTION_HEADERS.has(name.toLowerCase())) continue
    if (!PRINTABLE.test(name) || !PRINTABLE.test(value)) {
      return { unavailable: `header ${JSON.stringify(name)} is not printable ASCII` }
    }
    names.add(name.toLowerCase())
    // "Name;" is curl's way to send a header with an empty value.
    parts.push('-H', shellQuote(value === '' ? `${name};` : `${name}: ${value}`))
  }
  for (const name of CURL_DEFAULTS) if (!names.has(name)) parts.push('-H', shellQuote(`${name}:`))
  parts.push('-H', 'Expect:')
  if (entry.body.length === 0) return { command: parts.join(' ') }
  parts.push('--data-binary', '@-')
  return { command: `printf ${printfFormat(entry.body)} | ${parts.join(' ')}` }
}
