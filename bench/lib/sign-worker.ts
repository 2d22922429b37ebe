import { parentPort, workerData } from 'node:worker_threads'
import { signToken } from './tokens.js'
import type { SignRequest, SignWorkerData } from './tokens.js'

const { privateKey, template } = workerData as SignWorkerData

parentPort?.on('message', ({ count, iat }: SignRequest) => {
  const tokens: string[] = []
  for (let i = 0; i < count; i++) tokens.push(signToken(privateKey, template, iat))
  parentPort?.postMessage(tokens)
})
