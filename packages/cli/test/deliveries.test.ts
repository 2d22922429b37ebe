import { generateKeyPairSync } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createDeliveryWorker, createQueuedSender } from '@hookseal/bullmq'
import type { DeliveryWorker, QueuedSender } from '@hookseal/bullmq'
import { createSigner, loadKeySet } from '@hookseal/core/send'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestRedis } from '@hookseal/test-support/redis-server'
import type { TestRedis } from '@hookseal/test-support/redis-server'
import { waitUntil } from '@hookseal/test-support/wait-until'
import { HOSTILE, runCli, terminalControls } from './run-cli.js'

const QUEUE = 'cli-deliveries'
let redis: TestRedis
let server: Server
let url: string
let status = 400
const received: string[] = []
let queued: QueuedSender
let worker: DeliveryWorker

beforeAll(async () => {
  redis = await startTestRedis({ appendOnly: true })
  server = createServer((req, res) => {
    received.push(String(req.headers['webhook-id']))
    req.resume()
    res.writeHead(status).end(HOSTILE)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`
  const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }
  queued = createQueuedSender({ connection, queueName: QUEUE })
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  worker = createDeliveryWorker({
    connection,
    queueName: QUEUE,
    signer: createSigner({
      issuer: 'https://sender.example',
      keys: await loadKeySet({ keys: [{ pem, state: 'active' }] }),
    }),
    allowInsecureHttp: true,
    allowPrivateAddresses: ['127.0.0.1'],
  })
})

afterAll(async () => {
  await worker.close(true)
  await queued.close()
  server.closeAllConnections()
  server.close()
  await redis.stop()
})

const deliveries = (...args: string[]) =>
  runCli(['deliveries', ...args, '--redis', redis.url, '--queue', QUEUE])

it('lists, shows and replays dead letters, and switches destinations, from the command line', async () => {
  await queued.send({ url, body: '{"n":1}', webhookId: 'evt_cli' })
  await expect.poll(() => queued.listDeadLetters(), { timeout: 10_000 }).toHaveLength(1)

  const list = await deliveries('list')
  expect(list.code).toBe(0)
  expect(list.stdout).toContain('evt_cli  dead-letter')
  const show = await deliveries('show', 'evt_cli')
  expect(show.stdout).toMatch(/#1 \S+ 400 \d+ ms/)
  // The receiver's answer is escaped before it reaches the terminal.
  expect(terminalControls(show.stdout)).toEqual([])
  const json = JSON.parse((await deliveries('show', 'evt_cli', '--json')).stdout) as {
    state: string
  }
  expect(json.state).toBe('dead-letter')
  expect((await deliveries('show', 'evt_nothing')).code).toBe(1)

  const origin = new URL(url).origin
  expect((await deliveries('destinations', 'disable', origin)).stdout).toContain(
    `${origin}  active -> disabled`,
  )
  expect((await deliveries('destinations')).stdout).toContain(`${origin}  disabled`)
  expect((await deliveries('destinations', 'enable', url)).stdout).toContain('disabled -> active')

  status = 204
  const replay = await deliveries('replay', '--all', '--destination', origin)
  expect(replay.stdout).toContain('replayed 1')
  await waitUntil(() => received.length === 2, 'the replayed delivery', 10_000)
  expect(received).toEqual(['evt_cli', 'evt_cli'])
  expect((await deliveries('list')).stdout).toContain('none')
}, 120_000)

it('refuses bad usage with exit 2', async () => {
  expect((await runCli(['deliveries', 'list', '--redis', 'http://nope'])).code).toBe(2)
  expect((await deliveries('frobnicate')).code).toBe(2)
  expect((await deliveries('replay', '--all', '--from', 'yesterday')).code).toBe(2)
  expect((await deliveries('destinations', 'enable', 'not a url')).code).toBe(2)
}, 60_000)
