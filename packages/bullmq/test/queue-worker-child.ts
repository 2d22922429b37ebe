// A delivery worker in a process of its own, for the crash test: argv is the Redis port and the
// queue's name. It prints "ready" once the worker runs, and is meant to be killed.
import { createDeliveryWorker } from '../src/index.js'
import { createQueueTestSigner, LOOPBACK } from './queue-fixtures.js'

const [port, queueName] = process.argv.slice(2)
if (port === undefined || queueName === undefined) {
  throw new Error('usage: queue-worker-child.ts <redis-port> <queue-name>')
}

const worker = createDeliveryWorker({
  connection: { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null },
  queueName,
  signer: await createQueueTestSigner(),
  ...LOOPBACK,
  schedule: [10, 10],
  concurrency: 5,
  lockDuration: 1000,
  stalledInterval: 500,
})
process.stdout.write('ready\n')
process.once('SIGTERM', () => void worker.close(true).then(() => process.exit(0)))
