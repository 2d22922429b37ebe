import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Cluster } from 'ioredis'
import { waitForPing } from './redis-server.js'

const run = promisify(execFile)

/** A real Redis Cluster of the test's own: three masters on loopback, no replicas. */
export interface TestRedisCluster {
  readonly ports: readonly number[]
  /** A new cluster client (`maxRetriesPerRequest: null`); closed by `stop`. */
  client(): Cluster
  /** Closes every client and stops the three servers. */
  stop(): Promise<void>
}

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
}

/** Three ports in a row, and their bus ports 10000 above, all free now. */
async function freeBase(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 25_000)
    const ports = [0, 1, 2].flatMap((offset) => [base + offset, base + offset + 10_000])
    if ((await Promise.all(ports.map(free))).every(Boolean)) return base
  }
}

/**
 * Starts three `redis-server --cluster-enabled yes` on free loopback ports in a row (their bus
 * ports are 10000 above) with an append-only file, joins them with `redis-cli --cluster create`,
 * and waits until every slot is served.
 */
export async function startTestRedisCluster(): Promise<TestRedisCluster> {
  const base = await freeBase()
  const ports = [base, base + 1, base + 2]
  const dir = mkdtempSync(join(tmpdir(), 'hookseal-cluster-'))
  const servers: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--appendonly',
        'yes',
        '--appendfilename',
        `appendonly-${port}.aof`,
        '--appenddirname',
        `aof-${port}`,
        '--save',
        '',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    ),
  )
  const clients: Cluster[] = []
  async function stop(): Promise<void> {
    for (const client of clients) client.disconnect()
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            if (server.exitCode !== null || server.signalCode !== null) return resolve()
            server.once('exit', () => resolve())
            server.kill('SIGKILL')
          }),
      ),
    )
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await Promise.all(ports.map((port) => waitForPing(port, Date.now() + 10_000)))
    await run(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-yes'],
      { timeout: 30_000 },
    )
    const deadline = Date.now() + 20_000
    for (;;) {
      const { stdout } = await run('redis-cli', ['-p', String(base), 'cluster', 'info'])
      if (stdout.includes('cluster_state:ok')) break
      if (Date.now() > deadline) throw new Error('the test cluster did not come up')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } catch (error) {
    await stop()
    throw error
  }
  return {
    ports,
    client() {
      const client = new Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        { redisOptions: { maxRetriesPerRequest: null } },
      )
      clients.push(client)
      return client
    },
    stop,
  }
}
