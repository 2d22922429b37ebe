/** The receiver on Deno: `Deno.serve` on a free loopback port, announced on stdout. */
import { createFetchApp } from './fetch-app.js'
import type { RuntimeConfig } from './fetch-app.js'

declare const Deno: {
  env: { get(name: string): string | undefined }
  serve(
    options: { hostname: string; port: number; onListen(address: { port: number }): void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown
}

const config = JSON.parse(Deno.env.get('HOOKSEAL_RUNTIME_CONFIG') ?? '') as RuntimeConfig
const app = createFetchApp(config)
Deno.serve(
  {
    hostname: '127.0.0.1',
    port: 0,
    onListen: ({ port }) => console.log(`listening ${port}`),
  },
  (request) => app.fetch(request),
)
