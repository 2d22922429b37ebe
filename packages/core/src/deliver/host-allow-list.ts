import { isIP } from 'node:net'
import { canonicalHost } from './canonical-host.js'

/** Decides whether a destination host is one the sender may deliver to. */
export type HostAllowList = (hostname: string) => boolean

function invalidEntry(entry: unknown): never {
  throw new TypeError(
    `allowedHosts entries must be host names or *.suffix patterns, not ${JSON.stringify(entry)}`,
  )
}

/**
 * Builds the destination allow-list from `allowedHosts`: exact host names (`hooks.partner.example`,
 * `203.0.113.7`) and `*.suffix` patterns, which match any name below the suffix but not the suffix
 * itself. Without a list every host is allowed (the SSRF guard still applies).
 *
 * @throws TypeError for an entry that is not a host name or pattern (ports and paths included).
 *
 * @example
 * ```ts
 * const allowed = createHostAllowList(['*.partner.example'])
 * allowed('hooks.partner.example') // true
 * allowed('partner.example') // false
 * ```
 */
export function createHostAllowList(entries: readonly string[] | undefined): HostAllowList {
  if (entries === undefined) return () => true
  if (!Array.isArray(entries)) throw new TypeError('allowedHosts must be an array')
  const exact = new Set<string>()
  const suffixes: string[] = []
  for (const entry of entries as readonly unknown[]) {
    if (typeof entry !== 'string' || entry === '') invalidEntry(entry)
    const wildcard = entry.startsWith('*.')
    const host = canonicalHost(wildcard ? entry.slice(2) : entry) ?? invalidEntry(entry)
    if (!wildcard) {
      exact.add(host)
    } else if (isIP(host) === 0 && !host.startsWith('[')) {
      suffixes.push(`.${host}`)
    } else {
      // The URL parser turns a partial IP into a full one, so an IP suffix would never match.
      invalidEntry(entry)
    }
  }
  return (hostname) => exact.has(hostname) || suffixes.some((suffix) => hostname.endsWith(suffix))
}
