/**
 * A configured host name as the URL parser spells a request's host (lower case, punycode, IPv4
 * normalised, IPv6 in brackets), so that entries compare equal to `URL#hostname`. `undefined` when
 * the entry is not a bare host: a port, path, scheme or credentials make it one.
 *
 * @example
 * ```ts
 * canonicalHost('Hooks.Partner.Example') // 'hooks.partner.example'
 * canonicalHost('partner.example:8443') // undefined
 * ```
 */
export function canonicalHost(entry: string): string | undefined {
  const secure = `https://${entry}/`
  const plain = `http://${entry}/`
  if (!URL.canParse(secure) || !URL.canParse(plain)) return undefined
  const { hostname, port, pathname, username, password, search, hash } = new URL(secure)
  // Each scheme drops its own default port, so only the pair shows that none was given.
  const portless = port === '' && new URL(plain).port === ''
  const bare = portless && pathname === '/' && username === '' && password === ''
  return bare && search === '' && hash === '' && hostname !== '' ? hostname : undefined
}
