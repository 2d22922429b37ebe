const LOOPBACK_IPV4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/

/**
 * Whether a URL's host names this machine. Takes the host as the WHATWG URL parser spells it: IPv4
 * already normalised (`0x7f.1` is `127.0.0.1`), IPv6 in brackets.
 *
 * @example
 * ```ts
 * isLoopbackHost(new URL('http://127.0.0.1:8080/').hostname) // true
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || LOOPBACK_IPV4.test(hostname)
}
