/**
 * Tools for testing a webhook receiver against hookseal-signed requests, without a real sender.
 *
 * @example
 * ```ts
 * import { createVerifier } from '@hookseal/core'
 * import { createTestKeySet, serveJwks, signedHeaders } from '@hookseal/core/testing'
 *
 * const keys = await createTestKeySet()
 * const endpoint = await serveJwks(keys)
 * const verifier = createVerifier({
 *   issuers: [
 *     { issuer: 'https://sender.test', jwksUri: endpoint.jwksUri, audience: 'https://receiver.test/webhooks' },
 *   ],
 *   allowInsecureHttp: true,
 * })
 * const app = buildApp({ verifier }) // the receiver under test
 *
 * it('accepts a signed webhook', async () => {
 *   const body = JSON.stringify({ type: 'invoice.paid' })
 *   const headers = await signedHeaders({
 *     keys,
 *     issuer: 'https://sender.test',
 *     body,
 *     url: 'https://receiver.test/webhooks',
 *   })
 *   const response = await app.inject({
 *     method: 'POST',
 *     url: '/webhooks',
 *     headers: { ...headers, 'content-type': 'application/json' },
 *     body,
 *   })
 *   expect(response.statusCode).toBe(204)
 * })
 *
 * afterAll(() => endpoint.close())
 * ```
 */
export { createTestKeySet } from './create-test-key-set.js'
export { signedHeaders } from './signed-headers.js'
export { serveJwks } from './serve-jwks.js'
export { signOAuth1Request as oauth1Authorization } from '../schemes/oauth1/sign-oauth1-request.js'
export { createStandardWebhooksKeys } from './create-standard-webhooks-keys.js'
export { signStandardWebhook as standardWebhooksHeaders } from '../schemes/standard-webhooks/sign-standard-webhook.js'

export type { CreateTestKeySetOptions } from './create-test-key-set.js'
export type { SignedHeadersOptions } from './signed-headers.js'
export type { JwksEndpoint } from './serve-jwks.js'
export type { SignOAuth1RequestOptions } from '../schemes/oauth1/sign-oauth1-request.js'
export type { StandardWebhooksKeys } from './create-standard-webhooks-keys.js'
export type {
  SignStandardWebhookOptions,
  StandardWebhookHeaders,
} from '../schemes/standard-webhooks/sign-standard-webhook.js'
