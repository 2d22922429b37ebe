import { BlockList, isIP } from 'node:net'

/**
 * What kind of destination an IP address is. Anything but `'public'` is refused by the SSRF guard
 * unless allow-listed.
 */
export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'shared'
  | 'multicast'
  | 'reserved'

type Range = readonly [prefix: string, length: number]

// IPv4 ranges. net.BlockList matches IPv4-mapped IPv6 (::ffff:a.b.c.d) against them too.
const IPV4: ReadonlyArray<readonly [Exclude<AddressClass, 'public'>, readonly Range[]]> = [
  // 0.0.0.0 reaches this host on Linux.
  ['unspecified', [['0.0.0.0', 8]]],
  ['loopback', [['127.0.0.0', 8]]],
  [
    'private',
    [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
    ],
  ],
  // Cloud metadata endpoints (169.254.169.254) live here.
  ['link-local', [['169.254.0.0', 16]]],
  // Carrier-grade NAT; some clouds put metadata services here too (100.100.100.200).
  ['shared', [['100.64.0.0', 10]]],
  ['multicast', [['224.0.0.0', 4]]],
  [
    'reserved',
    [
      ['192.0.0.0', 24],
      ['192.0.2.0', 24],
      // The 6to4 relay anycast prefix (deprecated by RFC 7526): it forwards into IPv6.
      ['192.88.99.0', 24],
      ['198.18.0.0', 15],
      ['198.51.100.0', 24],
      ['203.0.113.0', 24],
      // Includes the broadcast address 255.255.255.255.
      ['240.0.0.0', 4],
    ],
  ],
]

const IPV6: ReadonlyArray<readonly [Exclude<AddressClass, 'public'>, readonly Range[]]> = [
  ['unspecified', [['::', 128]]],
  ['loopback', [['::1', 128]]],
  [
    'private',
    [
      ['fc00::', 7],
      // Deprecated site-local addresses, still routed inside some networks.
      ['fec0::', 10],
    ],
  ],
  ['link-local', [['fe80::', 10]]],
  ['multicast', [['ff00::', 8]]],
  [
    'reserved',
    [
      // Deprecated IPv4-compatible addresses (::a.b.c.d).
      ['::', 96],
      // IPv4-translated addresses (::ffff:0:a.b.c.d, RFC 6145): a translator turns them into
      // a.b.c.d, which may be internal.
      ['::ffff:0:0:0', 96],
      // Local-use NAT64 prefix (RFC 8215); a network may embed an IPv4 address anywhere in it.
      ['64:ff9b:1::', 48],
      ['100::', 64],
      // IETF protocol assignments (RFC 2928), Teredo (2001::/32) among them: a Teredo address
      // reaches the IPv4 address it embeds through a relay, and nothing here is a webhook receiver.
      ['2001::', 23],
      ['2001:db8::', 32],
      // 6to4 (RFC 3056): 2002:a.b.c.d::/48 reaches a.b.c.d through a relay, which may be internal.
      ['2002::', 16],
      // Documentation (RFC 9637) and segment routing SIDs (RFC 9602), never globally reachable.
      ['3fff::', 20],
      ['5f00::', 16],
    ],
  ],
]

/** The well-known NAT64 prefix: 64:ff9b::a.b.c.d reaches a.b.c.d through the network's gateway. */
const NAT64_PREFIX = '64:ff9b::'

function buildLists(): ReadonlyArray<readonly [Exclude<AddressClass, 'public'>, BlockList]> {
  const lists = new Map<Exclude<AddressClass, 'public'>, BlockList>()
  const listFor = (kind: Exclude<AddressClass, 'public'>): BlockList => {
    const existing = lists.get(kind)
    if (existing !== undefined) return existing
    const created = new BlockList()
    lists.set(kind, created)
    return created
  }
  for (const [kind, ranges] of IPV4) {
    for (const [prefix, length] of ranges) {
      listFor(kind).addSubnet(prefix, length, 'ipv4')
      listFor(kind).addSubnet(`${NAT64_PREFIX}${prefix}`, 96 + length, 'ipv6')
    }
  }
  for (const [kind, ranges] of IPV6) {
    for (const [prefix, length] of ranges) listFor(kind).addSubnet(prefix, length, 'ipv6')
  }
  return [...lists]
}

// Checked in the order above, so that ::1 is loopback rather than a deprecated IPv4-compatible address.
const LISTS = buildLists()

/**
 * Classifies an IP address (IPv4, or IPv6 with or without brackets and zone id) for the SSRF guard:
 * IPv4-mapped (`::ffff:10.0.0.1`) and NAT64 (`64:ff9b::a00:1`) forms are judged by the IPv4 address
 * they reach; the other forms that carry an IPv4 address to a translator or relay (6to4, Teredo,
 * IPv4-translated, local-use NAT64) are refused whole. Returns `undefined` for anything that is not
 * an IP address.
 *
 * @example
 * ```ts
 * classifyAddress('169.254.169.254') // 'link-local'
 * classifyAddress('::ffff:127.0.0.1') // 'loopback'
 * classifyAddress('93.184.215.14') // 'public'
 * ```
 */
export function classifyAddress(address: string): AddressClass | undefined {
  const bare = bareAddress(address)
  const version = isIP(bare)
  if (version === 0) return undefined
  const type = version === 4 ? 'ipv4' : 'ipv6'
  for (const [kind, list] of LISTS) {
    if (list.check(bare, type)) return kind
  }
  return 'public'
}

/** Strips the brackets the URL parser keeps around an IPv6 host, and any zone id (`%eth0`). */
export function bareAddress(host: string): string {
  const unbracketed = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  return unbracketed.replace(/%.*$/, '')
}
