import { createRequire } from 'node:module'
import fc from 'fast-check'
import type * as IpAddr from 'ipaddr.js'
import { describe, expect, it } from 'vitest'
import { createAddressPolicy } from '../../src/deliver/address-policy.js'
import { classifyAddress } from '../../src/deliver/classify-address.js'
import { createHostAllowList } from '../../src/deliver/host-allow-list.js'

describe('classifyAddress', () => {
  it.each([
    // IPv4
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['100.64.0.1', 'shared'],
    ['100.100.100.200', 'shared'],
    ['100.127.255.255', 'shared'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.170', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['[::1]', 'loopback'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fec0::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['::7f00:1', 'reserved'],
    ['64:ff9b:1::1', 'reserved'],
    // Forms that carry an IPv4 address to a relay or translator, refused whatever they embed.
    ['192.88.99.1', 'reserved'],
    ['2002:a00:1::1', 'reserved'],
    ['2002:808:808::1', 'reserved'],
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'reserved'],
    ['2001::1', 'reserved'],
    ['::ffff:0:10.0.0.1', 'reserved'],
    ['::ffff:0:a9fe:a9fe', 'reserved'],
    ['::ffff:0:8.8.8.8', 'reserved'],
    ['64:ff9b:1::a00:1', 'reserved'],
    ['64:ff9b:1:a00:1::', 'reserved'],
    ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', 'reserved'],
    ['3fff::1', 'reserved'],
    ['5f00::1', 'reserved'],
    // IPv4-mapped and NAT64 forms are judged by the IPv4 address they reach.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:100.64.0.1', 'shared'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::192.168.0.1', 'private'],
    ['64:ff9b::100.64.0.1', 'shared'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind)
  })

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '169.253.255.255',
    '192.169.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('%s is public', (address) => {
    expect(classifyAddress(address)).toBe('public')
  })

  it.each(['localhost', 'example.com', '', '999.1.1.1', '::g', '1.2.3'])(
    '%j is not an address',
    (value) => {
      expect(classifyAddress(value)).toBeUndefined()
    },
  )
})

describe('allowPrivateAddresses', () => {
  it('lets listed addresses and ranges through and nothing else', () => {
    const policy = createAddressPolicy(['127.0.0.1', '10.1.0.0/16', 'fd00::/8'])
    expect(policy.refusal('127.0.0.1')).toBeUndefined()
    expect(policy.refusal('::ffff:127.0.0.1')).toBeUndefined()
    expect(policy.refusal('127.0.0.2')).toBe('loopback')
    expect(policy.refusal('10.1.200.3')).toBeUndefined()
    expect(policy.refusal('10.2.0.1')).toBe('private')
    expect(policy.refusal('fd00::5')).toBeUndefined()
    expect(policy.refusal('fc00::5')).toBe('private')
    expect(policy.refusal('169.254.169.254')).toBe('link-local')
    expect(policy.refusal('8.8.8.8')).toBeUndefined()
    expect(policy.refusal('not-an-ip')).toBe('invalid')
  })

  it('exempts a host listed by name, whatever it resolves to', () => {
    const policy = createAddressPolicy(['Hooks.Internal'])
    expect(policy.hostAllowed('hooks.internal')).toBe(true)
    expect(policy.hostAllowed('other.internal')).toBe(false)
    expect(policy.refusal('10.0.0.1')).toBe('private')
  })

  it('refuses an IP-literal host unless it is listed', () => {
    const policy = createAddressPolicy(['10.0.0.0/8'])
    expect(policy.literalRefusal('10.0.0.1')).toBeUndefined()
    expect(policy.literalRefusal('127.0.0.1')).toBe('loopback')
    expect(policy.literalRefusal('[::1]')).toBe('loopback')
    expect(policy.literalRefusal('[::ffff:a9fe:a9fe]')).toBe('link-local')
    expect(policy.literalRefusal('partner.example')).toBeUndefined()
  })

  it.each([
    [['10.0.0.0/33']],
    [['::/129']],
    [['not a host']],
    [['host.example:8080']],
    [['https://host.example']],
    [['']],
    [[42]],
    ['10.0.0.1'],
  ])('throws a TypeError for %j', (entries) => {
    expect(() => createAddressPolicy(entries as string[])).toThrow(TypeError)
  })
})

describe('allowedHosts', () => {
  it('matches exact names and names below a *.suffix, in any letter case', () => {
    const allowed = createHostAllowList(['hooks.partner.example', '*.Customers.Example'])
    expect(allowed('hooks.partner.example')).toBe(true)
    expect(allowed('partner.example')).toBe(false)
    expect(allowed('evil-hooks.partner.example')).toBe(false)
    expect(allowed('a.customers.example')).toBe(true)
    expect(allowed('a.b.customers.example')).toBe(true)
    expect(allowed('customers.example')).toBe(false)
    expect(allowed('evilcustomers.example')).toBe(false)
  })

  it('compares names as the URL parser spells them', () => {
    const allowed = createHostAllowList(['BÜCHER.example', '[::1]'])
    expect(allowed(new URL('https://bücher.example/').hostname)).toBe(true)
    expect(allowed(new URL('https://[0:0::1]/').hostname)).toBe(true)
  })

  it('allows every host when there is no list', () => {
    expect(createHostAllowList(undefined)('anything.example')).toBe(true)
  })

  it.each([
    [['host.example:443']],
    [['host.example:80']],
    [['host.example/path']],
    [['*.10.0.0.1']],
    [['*.']],
    [['']],
    [[null]],
    ['host.example'],
  ])('throws a TypeError for %j', (entries) => {
    expect(() => createHostAllowList(entries as string[])).toThrow(TypeError)
  })
})

describe('classifyAddress against ipaddr.js', () => {
  // ipaddr.js is CommonJS with an `export =` declaration, which this ESM project cannot
  // default-import without synthetic defaults.
  const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof IpAddr
  const V4_BITS = 32n
  const V6_BITS = 128n

  function formatV4(value: bigint): string {
    return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.')
  }

  function formatV6(value: bigint): string {
    const groups: string[] = []
    for (let shift = 112n; shift >= 0n; shift -= 16n) {
      groups.push(((value >> shift) & 0xffffn).toString(16))
    }
    return groups.join(':')
  }

  function parseV6(text: string): bigint {
    return ipaddr.IPv6.parse(text)
      .toByteArray()
      .reduce((value, byte) => (value << 8n) | BigInt(byte), 0n)
  }

  /** Every special range either side knows, and a few public ones, as [first address, length]. */
  const V4_RANGES: Array<[bigint, bigint]> = [
    '0.0.0.0/8',
    '10.0.0.0/8',
    '100.64.0.0/10',
    '127.0.0.0/8',
    '169.254.0.0/16',
    '172.16.0.0/12',
    '192.0.0.0/24',
    '192.0.2.0/24',
    '192.31.196.0/24',
    '192.52.193.0/24',
    '192.88.99.0/24',
    '192.168.0.0/16',
    '192.175.48.0/24',
    '198.18.0.0/15',
    '198.51.100.0/24',
    '203.0.113.0/24',
    '224.0.0.0/4',
    '240.0.0.0/4',
    '255.255.255.255/32',
    '8.8.8.0/24',
    '93.184.215.0/24',
  ].map((cidr) => {
    const [address, length] = ipaddr.IPv4.parseCIDR(cidr)
    const value = address.toByteArray().reduce((v, byte) => (v << 8n) | BigInt(byte), 0n)
    return [value, BigInt(length)]
  })
  const V6_RANGES: Array<[bigint, bigint]> = [
    '::/128',
    '::1/128',
    '::/96',
    '::ffff:0:0/96',
    '::ffff:0:0:0/96',
    '64:ff9b::/96',
    '64:ff9b:1::/48',
    '100::/64',
    '2001::/23',
    '2001::/32',
    '2001:2::/48',
    '2001:3::/32',
    '2001:4:112::/48',
    '2001:20::/28',
    '2001:db8::/32',
    '2002::/16',
    '2620:4f:8000::/48',
    '3fff::/20',
    '5f00::/16',
    'fc00::/7',
    'fe80::/10',
    'fec0::/10',
    'ff00::/8',
    '2606:4700::/32',
    '2a00:1450::/32',
  ].map((cidr) => {
    const [address, length] = cidr.split('/') as [string, string]
    return [parseV6(address), BigInt(length)]
  })

  const IETF_PROTOCOL_ASSIGNMENTS = ipaddr.IPv6.parseCIDR('2001::/23')

  /** An address inside a range, or just beside it. */
  function near(ranges: Array<[bigint, bigint]>, bits: bigint): fc.Arbitrary<bigint> {
    return fc.constantFrom(...ranges).chain(([first, length]) => {
      const size = 1n << (bits - length)
      return fc
        .bigInt({ min: -size, max: 2n * size - 1n })
        .map((offset) => (first + offset + (1n << bits)) % (1n << bits))
    })
  }

  const v4 = fc.oneof(near(V4_RANGES, V4_BITS), fc.bigInt({ min: 0n, max: (1n << V4_BITS) - 1n }))
  const v6 = fc.oneof(near(V6_RANGES, V6_BITS), fc.bigInt({ min: 0n, max: (1n << V6_BITS) - 1n }))
  /** IPv6 forms that carry an IPv4 address, around the special IPv4 ranges. */
  const embedded = fc
    .tuple(fc.constantFrom(0xffffn << 32n, 0x64ff9bn << 96n), near(V4_RANGES, V4_BITS))
    .map(([prefix, address]) => formatV6(prefix | address))
  const addresses = fc.oneof(v4.map(formatV4), v6.map(formatV6), embedded)

  /**
   * ipaddr.js's verdict on whether `text` is an ordinary public unicast address, with hookseal's
   * deliberate differences applied:
   * - IPv4-mapped (::ffff:0:0/96) and well-known NAT64 (64:ff9b::/96) addresses reach the IPv4
   *   address they embed, so both sides judge that address (ipaddr.js names the prefix instead).
   * - AS112 (192.175.48.0/24, 192.31.196.0/24, 2001:4:112::/48, 2620:4f:8000::/48) and AMT
   *   (192.52.193.0/24, 2001:3::/32) are globally reachable anycast services, not internal networks:
   *   ipaddr.js names them, hookseal lets them through (the IPv6 ones only outside 2001::/23,
   *   which hookseal refuses whole as IETF protocol assignments).
   * - Deprecated IPv4-compatible addresses (::/96) are unicast to ipaddr.js; hookseal refuses them,
   *   since some stacks still route ::a.b.c.d to a.b.c.d.
   */
  function expectedPublic(text: string): boolean {
    const address = ipaddr.parse(text)
    if (address.kind() === 'ipv6') {
      const v6address = address as IpAddr.IPv6
      const range = v6address.range()
      const value = parseV6(text)
      if (range === 'ipv4Mapped' || (range === 'rfc6052' && value >> 32n === 0x64ff9bn << 64n)) {
        return expectedPublic(formatV4(value & 0xffffffffn))
      }
      if (value >> 32n === 0n) return false
      if (v6address.match(IETF_PROTOCOL_ASSIGNMENTS)) return false
      return range === 'unicast' || range === 'as112v6'
    }
    const range = (address as IpAddr.IPv4).range()
    return range === 'unicast' || range === 'as112' || range === 'amt'
  }

  it('agrees on which addresses are public, but for the listed differences', () => {
    fc.assert(
      fc.property(addresses, (text) => {
        expect(classifyAddress(text) === 'public', text).toBe(expectedPublic(text))
      }),
      { numRuns: 5000 },
    )
  })
})
