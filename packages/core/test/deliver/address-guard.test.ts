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
