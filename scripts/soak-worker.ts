// One delivery worker of the soak, in a process of its own so that the soak can SIGKILL it:
// argv is the Redis port, the queue's name and the worker options as JSON. Prints "ready" once
// the worker runs.
import { generateKeyPairSync } from 'node:crypto'
import { createDeliveryWorker } from '@hookseal/bullmq'
import type { DeliveryWorkerOptions } from '@hookseal/bullmq'
import { createSigner, loadKeySet } from '@hookseal/core/send'

const [port, queueName, json] = process.argv.slice(2)
if (port === undefined || queueName === undefined || json === undefined) {
  throw new Error('usage: soak-worker.ts <redis-port> <queue-name> <options json>')
}
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
const options = JSON.parse(json) as Partial<DeliveryWorkerOptions>
const worker = createDeliveryWorker({
  ...options,
  connection: { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null },
  queueName,
  signer: createSigner({
    issuer: 'https://soak.example',
    keys: await loadKeySet({ keys: [{ pem, state: 'active' }] }),
  }),
  allowInsecureHttp: true,
  allowPrivateAddresses: ['127.0.0.1'],
})
process.stdout.write('ready\n')
process.once('SIGTERM', () => void worker.close(true).then(() => process.exit(0)))
