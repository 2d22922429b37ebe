import { isLoopbackHost } from './is-loopback-host.js'

/**
 * Parses and checks a URL that hookseal will connect to, once, so that a misconfiguration fails at
 * start-up rather than on first use. Returns a private copy that later edits to the caller's URL
 * object cannot reach.
 *
 * @param input The URL as configured.
 * @param name The option's name, for the error message.
 * @param allowInsecureHttp Whether a plain `http:` URL on a loopback host is acceptable.
 * @throws TypeError when the URL is malformed, carries credentials, or is not HTTPS (plain HTTP is
 *   accepted only with `allowInsecureHttp` and a loopback host).
 *
 * @example
 * ```ts
 * const url = parseSecureUrl('https://sender.example/.well-known/jwks.json', 'jwksUri', false)
 * ```
 */
export function parseSecureUrl(input: string | URL, name: string, allowInsecureHttp: boolean): URL {
  let url: URL
  try {
    url = new URL(input instanceof URL ? input.href : input)
  } catch {
    throw new TypeError(`${name} must be an absolute URL`)
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials in the URL would travel with every request and end up in logs and events.
    throw new TypeError(`${name} must not carry credentials`)
  }
  if (url.protocol === 'https:') return url
  if (url.protocol !== 'http:') {
    throw new TypeError(`${name} must use https:, not ${url.protocol}`)
  }
  if (!allowInsecureHttp) {
    throw new TypeError(
      `${name} must use https: (plain http: needs allowInsecureHttp and a loopback host)`,
    )
  }
  if (!isLoopbackHost(url.hostname)) {
    // Anyone on the path could read or alter the traffic; only traffic that never leaves the host is
    // safe without TLS.
    throw new TypeError(`a plain http: ${name} is allowed only for a loopback host`)
  }
  return url
}
