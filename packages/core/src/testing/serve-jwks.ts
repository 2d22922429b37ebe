import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SigningKeySet } from '../sign/key-set-types.js'

/** A JWKS endpoint on loopback, from {@link serveJwks}. */
export interface JwksEndpoint {
  /** `http://127.0.0.1:<port>/.well-known/jwks.json`; verifiers need `allowInsecureHttp: true`. */
  readonly jwksUri: string
  /** Stops listening and drops open connections. */
  close(): Promise<void>
}

/**
 * Serves a key set's JWKS over plain HTTP on 127.0.0.1 and an ephemeral port, for tests. Each request
 * gets the set's current `jwks()`, so rotations and added keys show at once.
 *
 * @example
 * ```ts
 * const endpoint = await serveJwks(keys)
 * const verifier = createVerifier({
 *   issuers: [{ issuer: 'https://sender.test', jwksUri: endpoint.jwksUri, audience }],
 *   allowInsecureHttp: true,
 * })
 * afterAll(() => endpoint.close())
 * ```
 */
export async function serveJwks(keys: SigningKeySet): Promise<JwksEndpoint> {
  if (typeof keys?.jwks !== 'function') throw new TypeError('serveJwks: keys must be a key set')
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'no-store' })
    res.end(JSON.stringify(keys.jwks()))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    jwksUri: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
