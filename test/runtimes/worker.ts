/** The receiver as a Cloudflare Worker: its settings come in the `CONFIG` binding. */
import { createFetchApp } from './fetch-app.js'
import type { RuntimeConfig } from './fetch-app.js'

let app: ReturnType<typeof createFetchApp> | undefined

export default {
  fetch(request: Request, env: { CONFIG: string }): Response | Promise<Response> {
    app ??= createFetchApp(JSON.parse(env.CONFIG) as RuntimeConfig)
    return app.fetch(request)
  },
}
