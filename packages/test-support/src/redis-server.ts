import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'

/** A real redis-server of the tests' own, on a free loopback port. */
export interface TestRedis {
  readonly port: number
  readonly url: string
  /** A new client; closed by `stop`. */
  client(): Redis
  /** Stops the server (SIGKILL by default) without closing clients, to test an outage. */
  kill(): Promise<void>
  /** Freezes the server (SIGSTOP): connections stay open and commands wait unanswered. */
  freeze(): void
  /** Lets a frozen server go on (SIGCONT). */
  thaw(): void
  /**
   * Starts the server again on the same port and directory after `kill`: with `appendOnly` it
   * reloads its data from the append-only file, without it the data is gone.
   */
  restart(): Promise<void>
  /** Closes every client and stops the server. */
  stop(): Promise<void>
}

/** How the test server persists its data. */
export interface TestRedisOptions {
  /** AOF with `appendfsync always`: every write is on disk before Redis answers. @default false */
  appendOnly?: boolean
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** Resolves once a redis-server answers PING on `port`; rejects past `deadline` (ms since the epoch). */
export async function waitForPing(port: number, deadline: number): Promise<void> {
  for (;;) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 })
    // Refusals while the server starts are expected; the loop retries them.
    probe.on('error', () => {})
    try {
      await probe.connect()
      await probe.ping()
      return
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    } finally {
      probe.disconnect()
    }
  }
}

/**
 * Starts `redis-server` (from Debian's redis-server package; `.ci/run` installs it) on a free port
 * in a temporary directory. Every test file gets a server of its own, so none depends on a Redis
 * that happens to be running. Without options it keeps nothing on disk.
 */
export async function startTestRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'hookseal-redis-'))
  const persistence = options.appendOnly
    ? ['--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no']
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence]

  let server: ChildProcess
  let exited: Promise<void>
  async function start(): Promise<void> {
    server = spawn('redis-server', [...args, '--dir', dir], { stdio: 'ignore' })
    const current = server
    exited = new Promise<void>((resolve) => current.once('exit', () => resolve()))
    await waitForPing(port, Date.now() + 10_000)
  }
  await start()
  const clients: Redis[] = []

  async function kill(): Promise<void> {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL')
    await exited
  }

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client() {
      const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null })
      clients.push(client)
      return client
    },
    kill,
    freeze() {
      server.kill('SIGSTOP')
    },
    thaw() {
      server.kill('SIGCONT')
    },
    async restart() {
      await kill()
      await start()
    },
    async stop() {
      for (const client of clients) client.disconnect()
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
