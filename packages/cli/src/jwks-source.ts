import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readInput } from './read-input.js'
import { UsageError } from './usage-error.js'

/** Where the verifier fetches keys from, and how to stop serving them. */
export interface JwksSource {
  jwksUri: string
  /** True when plain http must be allowed (a loopback URL given with --allow-insecure-http, or a file). */
  insecure: boolean
  /** The kids the file publishes, when it is a file; for explaining a missing key. */
  kids?: string[]
  close(): Promise<void>
}

/**
 * A JWKS URL is used as is; a JWKS file is served on an ephemeral loopback port, so that the keys
 * go through exactly the same fetching and importing as a receiver's.
 */
export async function openJwksSource(
  value: string,
  allowInsecureHttp: boolean,
): Promise<JwksSource> {
  if (/^https?:\/\//i.test(value)) {
    if (!URL.canParse(value)) throw new UsageError(`--jwks is not a valid URL: ${value}`)
    return { jwksUri: value, insecure: allowInsecureHttp, close: async () => {} }
  }
  const bytes = await readInput(value, 'JWKS file')
  let kids: string[]
  try {
    const document = JSON.parse(bytes.toString('utf8')) as { keys?: unknown }
    if (!Array.isArray(document.keys)) throw new Error('no "keys" array')
    kids = document.keys.map((key: { kid?: unknown }) => String(key?.kid))
  } catch (cause) {
    throw new UsageError(`${value} is not a JWKS: ${(cause as Error).message}`)
  }
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(bytes)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    jwksUri: `http://127.0.0.1:${port}/jwks.json`,
    insecure: true,
    kids,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
