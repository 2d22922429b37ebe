/**
 * The `htu` claim for a URL: scheme, host and path, without query and fragment as receivers compare
 * it, and without user info, which would otherwise travel inside every token. Undefined when the URL
 * is not an absolute http(s) URL.
 */
export function requestTarget(url: unknown): string | undefined {
  if (typeof url !== 'string' || !URL.canParse(url)) return undefined
  const target = new URL(url)
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return undefined
  target.username = ''
  target.password = ''
  target.search = ''
  target.hash = ''
  return target.href
}
