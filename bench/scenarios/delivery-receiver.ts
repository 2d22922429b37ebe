/**
 * The receiver of scenario 4, run in a process of its own (forked by `delivery.ts`) so that the
 * sender under test never shares its event loop. One node:http server per contender on 127.0.0.1,
 * each reading the whole body and answering 204, and counting the TCP connections it accepted, so
 * that the scenario can tell a pooled (keep-alive) sender from one that connects per request.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceiverCounts {
  readonly requests: number
  readonly connections: number
}

/** Messages from the forking process. */
export type ReceiverRequest = { readonly type: 'counts' }

/** Messages from this process to the one that forked it. */
export type ReceiverMessage =
  | { readonly type: 'ready'; readonly ports: Readonly<Record<string, number>> }
  | { readonly type: 'counts'; readonly counts: Readonly<Record<string, ReceiverCounts>> }
  | { readonly type: 'failed'; readonly error: string }

interface CountingServer {
  readonly server: Server
  requests: number
  connections: number
}

function countingServer(): CountingServer {
  const counting: CountingServer = {
    server: createServer((req, res) => {
      counting.requests += 1
      req.resume()
      req.on('end', () => {
        res.writeHead(204)
        res.end()
      })
    }),
    requests: 0,
    connections: 0,
  }
  counting.server.on('connection', () => {
    counting.connections += 1
  })
  return counting
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

async function main(): Promise<void> {
  const names = JSON.parse(process.argv[2] ?? '[]') as string[]
  const servers = new Map(names.map((name) => [name, countingServer()]))
  const ports: Record<string, number> = {}
  for (const [name, counting] of servers) ports[name] = await listen(counting.server)
  process.on('message', (message: ReceiverRequest) => {
    if (message.type !== 'counts') return
    const counts: Record<string, ReceiverCounts> = {}
    for (const [name, { requests, connections }] of servers) {
      counts[name] = { requests, connections }
    }
    process.send?.({ type: 'counts', counts } satisfies ReceiverMessage)
  })
  process.send?.({ type: 'ready', ports } satisfies ReceiverMessage)
}

if (process.send !== undefined && process.argv[1]?.endsWith('delivery-receiver.ts')) {
  // The parent going away (done or crashed) ends this process too.
  process.on('disconnect', () => process.exit(0))
  main().catch((error: unknown) => {
    process.send?.({ type: 'failed', error: String(error) } satisfies ReceiverMessage)
    process.exit(1)
  })
}
