const LOOPBACK_IPV4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/

/** Loopback as the WHATWG URL parser spells it: IPv4 is already normalised, IPv6 keeps brackets. */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || LOOPBACK_IPV4.test(hostname)
}

/**
 * Parses and checks a JWKS URL once, at construction, so that a misconfigured receiver fails at
 * start-up rather than on its first webhook. Returns a private copy that later edits to the
 * caller's URL object cannot reach.
 *
 * @param jwksUri The sender's JWKS URL.
 * @param allowInsecureHttp Whether a plain `http:` URL on a loopback host is acceptable.
 * @throws TypeError when the URL is malformed, carries credentials, or is not HTTPS (plain HTTP is
 *   accepted only with `allowInsecureHttp` and a loopback host).
 *
 * @example
 * ```ts
 * const url = validateJwksUri('https://sender.example/.well-known/jwks.json', false)
 * ```
 */
export function validateJwksUri(jwksUri: string | URL, allowInsecureHttp: boolean): URL {
  let url: URL
  try {
    url = new URL(jwksUri instanceof URL ? jwksUri.href : jwksUri)
  } catch {
    throw new TypeError('jwksUri must be an absolute URL')
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials in the URL would travel with every fetch and end up in logs and events.
    throw new TypeError('jwksUri must not carry credentials')
  }
  if (url.protocol === 'https:') return url
  if (url.protocol !== 'http:') {
    throw new TypeError(`jwksUri must use https:, not ${url.protocol}`)
  }
  if (!allowInsecureHttp) {
    throw new TypeError(
      'jwksUri must use https: (plain http: needs allowInsecureHttp and loopback)',
    )
  }
  if (!isLoopbackHost(url.hostname)) {
    // Anyone on the path could substitute their own keys; only traffic that never leaves the host is
    // safe without TLS.
    throw new TypeError('a plain http: jwksUri is allowed only for a loopback host')
  }
  return url
}
