/** The receiver on Bun: `Bun.serve` on a free loopback port, announced on stdout. */
import { createFetchApp } from './fetch-app.js'
import type { RuntimeConfig } from './fetch-app.js'

declare const Bun: {
  env: Record<string, string | undefined>
  serve(options: {
    hostname: string
    port: number
    fetch: (request: Request) => Response | Promise<Response>
  }): { port: number }
}

const config = JSON.parse(Bun.env.HOOKSEAL_RUNTIME_CONFIG ?? '') as RuntimeConfig
const app = createFetchApp(config)
const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => app.fetch(request) })
console.log(`listening ${server.port}`)
