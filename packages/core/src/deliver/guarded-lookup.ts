import { lookup as dnsLookup } from 'node:dns/promises'
import type { LookupAddress } from 'node:dns'
import { isIP } from 'node:net'
import type { LookupFunction } from 'node:net'
import type { AddressPolicy } from './address-policy.js'
import { classifyAddress } from './classify-address.js'
import { DeliveryAttemptError } from './delivery-error.js'

/** Resolves a host name to every address it has, as `dns.promises.lookup(name, { all: true })` does. */
export type ResolveHost = (hostname: string) => Promise<ReadonlyArray<{ address: string }>>

/** The system resolver, the one Node's own requests use. */
export const systemResolve: ResolveHost = (hostname) => dnsLookup(hostname, { all: true })

function forbidden(hostname: string, address: string, why: string): DeliveryAttemptError {
  return new DeliveryAttemptError(
    'ERR_ADDRESS_FORBIDDEN',
    `${hostname} resolves to ${address}, ${why}`,
    // The name resolved this way just now; a retry moments later would only be refused again.
    { retryable: false },
  )
}

/**
 * Checks every address a host name resolves to before the socket may use any of them.
 *
 * Node connects to exactly what `lookup` hands back, so checking here (rather than resolving once up
 * front and connecting by name later) leaves no gap for DNS rebinding: the address checked is the
 * address connected to. One refused address refuses the name, whichever of them the socket would
 * have tried first.
 *
 * @param policy Which non-public addresses are allow-listed.
 * @param resolve Where addresses come from.
 * @param loopbackOnly For plain `http:`: every address must be loopback, so that unencrypted traffic
 *   cannot leave the host even when a loopback-looking name resolves elsewhere.
 */
export function guardedLookup(
  policy: AddressPolicy,
  resolve: ResolveHost,
  loopbackOnly: boolean,
): LookupFunction {
  async function check(hostname: string, wanted: number): Promise<LookupAddress[]> {
    const exempt = policy.hostAllowed(hostname)
    const resolved = await resolve(hostname)
    const addresses: LookupAddress[] = []
    for (const entry of Array.isArray(resolved) ? resolved : []) {
      const address: unknown = (entry as { address?: unknown } | null)?.address
      const family = typeof address === 'string' ? isIP(address) : 0
      if (typeof address !== 'string' || family === 0) {
        throw forbidden(hostname, String(address), 'not an IP address')
      }
      const refusal = exempt ? undefined : policy.refusal(address)
      if (refusal !== undefined) throw forbidden(hostname, address, `a ${refusal} address`)
      if (loopbackOnly && classifyAddress(address) !== 'loopback') {
        throw forbidden(hostname, address, 'not loopback, over plain http:')
      }
      if (wanted === 0 || wanted === family) addresses.push({ address, family })
    }
    if (addresses.length === 0) {
      const error: NodeJS.ErrnoException = new Error(`${hostname} has no usable address`)
      error.code = 'ENOTFOUND'
      throw error
    }
    return addresses
  }

  return (hostname, options, callback) => {
    const wanted =
      options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0)
    check(hostname, wanted).then(
      (addresses) => {
        const [first] = addresses
        if (options.all === true || first === undefined) return callback(null, addresses)
        callback(null, first.address, first.family)
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    )
  }
}
