import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { LRUCache } from 'lru-cache'
import { failWith } from '../lib/fail-with.js'
import type { Fail } from '../lib/fail-with.js'
import { MAX_TIMER_MS, numberOption } from '../lib/number-option.js'
import type { KeepAliveOptions } from './types.js'

const fail: Fail = failWith('createSender')

/** Pooled connections of one sender, one agent per destination origin. */
export interface ConnectionPool {
  /** The agent for a URL's origin, or `false` (a connection of its own) once the pool is closed. */
  agentFor(url: URL): HttpAgent | false
  /** Closes idle connections now and those in use as their response ends; later ones are not kept. */
  close(): void
}

/** Connections per origin at once; further requests wait for one, within their timeout. */
const DEFAULT_MAX_SOCKETS = 50
/** Idle connections kept per origin. */
const DEFAULT_MAX_IDLE_SOCKETS = 10
/** Below Node's own server default (5 s), so that the sender, not the receiver, closes idle ones. */
const DEFAULT_IDLE_TIMEOUT = 4000
/** Origins with an agent at once; the least recently used one beyond it is retired. */
const MAX_ORIGINS = 1000

function retire(agent: HttpAgent): void {
  // A socket given back to an agent with no room for idle sockets is closed, not kept: sockets in
  // use end with their response, and the idle ones go now.
  agent.maxFreeSockets = 0
  for (const sockets of Object.values(agent.freeSockets)) {
    for (const socket of sockets ?? []) socket.destroy()
  }
}

/**
 * Creates the keep-alive pool of a sender: one `http.Agent` or `https.Agent` per origin, with a
 * bounded number of sockets and an idle timeout.
 *
 * Only the socket's creation passes through `lookup` (the SSRF guard), which is why the pool is per
 * origin and per sender: a socket is reused only for the origin, and the TLS settings, it was opened
 * and verified for, and every new socket is checked again. Whether a socket is kept after a
 * response is decided by the request (see `boundedRequest`'s `agent`).
 *
 * @param options `keepAlive` from the sender's options; `false` turns pooling off.
 * @throws TypeError for a malformed `keepAlive`.
 *
 * @example
 * ```ts
 * const pool = createConnectionPool({ maxSockets: 20 })
 * const agent = pool.agentFor(new URL('https://hooks.customer.example/webhooks'))
 * ```
 */
export function createConnectionPool(
  options: KeepAliveOptions | false | undefined,
): ConnectionPool {
  if (options === false) return { agentFor: () => false, close: () => {} }
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    fail('keepAlive must be false or an object')
  }
  const settings = options ?? {}
  const whole = { integer: true }
  const maxSockets = numberOption(
    fail,
    'keepAlive.maxSockets',
    settings.maxSockets,
    DEFAULT_MAX_SOCKETS,
    whole,
  )
  const maxFreeSockets = numberOption(
    fail,
    'keepAlive.maxIdleSockets',
    settings.maxIdleSockets,
    DEFAULT_MAX_IDLE_SOCKETS,
    whole,
  )
  const timeout = numberOption(
    fail,
    'keepAlive.idleTimeout',
    settings.idleTimeout,
    DEFAULT_IDLE_TIMEOUT,
    { max: MAX_TIMER_MS },
  )
  const agentOptions = { keepAlive: true, maxSockets, maxFreeSockets, timeout }

  let closed = false
  const agents = new LRUCache<string, HttpAgent>({
    max: MAX_ORIGINS,
    dispose: (agent) => retire(agent),
  })

  return {
    agentFor(url) {
      if (closed) return false
      let agent = agents.get(url.origin)
      if (agent === undefined) {
        agent =
          url.protocol === 'https:' ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions)
        agents.set(url.origin, agent)
      }
      return agent
    },
    close() {
      closed = true
      agents.clear()
    },
  }
}
