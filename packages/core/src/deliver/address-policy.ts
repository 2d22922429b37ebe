import { BlockList, isIP } from 'node:net'
import { bareAddress, classifyAddress } from './classify-address.js'
import type { AddressClass } from './classify-address.js'
import { canonicalHost } from './canonical-host.js'

/** Which non-public destinations a sender may still reach. */
export interface AddressPolicy {
  /** Whether the SSRF guard is off for this host name (it was allow-listed by name). */
  hostAllowed(hostname: string): boolean
  /** `undefined` when the address may be connected to, else why not. */
  refusal(address: string): AddressClass | 'invalid' | undefined
  /**
   * Why a URL host that is an IP literal is refused, else `undefined`. Node connects to a literal
   * without any lookup, so a literal is checked on its own, before connecting.
   */
  literalRefusal(hostname: string): AddressClass | undefined
}

const CIDR = /^(.+)\/(\d{1,3})$/

function invalidEntry(entry: unknown): never {
  throw new TypeError(
    `allowPrivateAddresses entries must be IP addresses, CIDR ranges or host names, not ${JSON.stringify(entry)}`,
  )
}

/**
 * Builds the SSRF guard's allow-list from `allowPrivateAddresses`: IP addresses (`10.1.2.3`,
 * `fd00::1`), CIDR ranges (`10.1.0.0/16`) and host names (`hooks.internal`, which exempts every
 * address that name resolves to).
 *
 * @throws TypeError for an entry that is none of these.
 *
 * @example
 * ```ts
 * const policy = createAddressPolicy(['10.1.0.0/16'])
 * policy.refusal('10.1.2.3') // undefined
 * policy.refusal('10.2.0.1') // 'private'
 * ```
 */
export function createAddressPolicy(entries: readonly string[] = []): AddressPolicy {
  if (!Array.isArray(entries)) throw new TypeError('allowPrivateAddresses must be an array')
  const addresses = new BlockList()
  const hosts = new Set<string>()
  for (const entry of entries as readonly unknown[]) {
    if (typeof entry !== 'string' || entry === '') invalidEntry(entry)
    const range = CIDR.exec(entry)
    const address = bareAddress(range?.[1] ?? entry)
    const version = isIP(address)
    const type = version === 6 ? 'ipv6' : 'ipv4'
    if (range !== null) {
      const length = Number(range[2])
      if (version === 0 || length > (version === 4 ? 32 : 128)) invalidEntry(entry)
      addresses.addSubnet(address, length, type)
    } else if (version !== 0) {
      addresses.addAddress(address, type)
    } else {
      hosts.add(canonicalHost(entry) ?? invalidEntry(entry))
    }
  }

  function refusal(address: string): AddressClass | 'invalid' | undefined {
    const kind = classifyAddress(address)
    if (kind === undefined) return 'invalid'
    if (kind === 'public') return undefined
    const bare = bareAddress(address)
    return addresses.check(bare, isIP(bare) === 6 ? 'ipv6' : 'ipv4') ? undefined : kind
  }

  return {
    hostAllowed: (hostname) => hosts.has(hostname),
    refusal,
    literalRefusal(hostname) {
      if (hosts.has(hostname)) return undefined
      const kind = refusal(hostname)
      return kind === 'invalid' ? undefined : kind
    },
  }
}
