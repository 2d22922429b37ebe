import { afterAll, beforeAll, expect, it } from 'vitest'
import { createRedisReplayStore } from '../src/index.js'
import { startTestRedisCluster } from '@hookseal/test-support/redis-cluster'
import type { TestRedisCluster } from '@hookseal/test-support/redis-cluster'

let cluster: TestRedisCluster

beforeAll(async () => {
  cluster = await startTestRedisCluster()
}, 60_000)

afterAll(() => cluster.stop())

it('claims concurrent ids together on Redis Cluster with a hash-tagged prefix', async () => {
  const store = createRedisReplayStore({ client: cluster.client(), prefix: '{hookseal:batch}:' })
  const other = createRedisReplayStore({ client: cluster.client(), prefix: '{hookseal:batch}:' })
  const expiresAt = Date.now() + 60_000
  await Promise.all([store.remember('warm-up', expiresAt), other.remember('warm-up', expiresAt)])
  // Every id twice, from two instances at once: the batches of both land in one slot.
  const ids = Array.from({ length: 64 }, (_, n) => `id-${n % 32}`)
  const answers = await Promise.all(
    ids.map((id, n) => (n < 32 ? store : other).remember(id, expiresAt)),
  )
  const accepted = ids.filter((_, n) => answers[n])
  expect(accepted.sort()).toEqual([...new Set(ids)].sort())
})
