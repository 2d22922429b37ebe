import { afterAll, beforeAll, expect, it } from 'vitest'
import { createRedisReplayStore } from '../src/index.js'
import { startTestRedisCluster } from '@hookseal/test-support/redis-cluster'
import type { TestRedisCluster } from '@hookseal/test-support/redis-cluster'

let cluster: TestRedisCluster

beforeAll(async () => {
  cluster = await startTestRedisCluster()
}, 60_000)

afterAll(() => cluster.stop())

it('refuses a prefix without a hash tag on a cluster client, at creation', () => {
  expect(() => createRedisReplayStore({ client: cluster.client() })).toThrow(/hash tag/)
})

it('remembers ids on a three-master Redis Cluster with a hash-tagged prefix', async () => {
  const client = cluster.client()
  const store = createRedisReplayStore({ client, prefix: '{hookseal:replay}:' })
  const expiresAt = Date.now() + 60_000
  for (let n = 0; n < 50; n++) expect(await store.remember(`id-${n}`, expiresAt)).toBe(true)
  for (let n = 0; n < 50; n++) expect(await store.remember(`id-${n}`, expiresAt)).toBe(false)
  // A second store (another instance of the application) sees the first one's claims.
  const other = createRedisReplayStore({ client: cluster.client(), prefix: '{hookseal:replay}:' })
  expect(await other.remember('id-7', expiresAt)).toBe(false)
})
