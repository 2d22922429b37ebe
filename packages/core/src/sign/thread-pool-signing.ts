import type { SignedWebhookHeaders, Signer, SignWebhookRequest } from './types.js'

/** Signs like `signer.sign`, with the signature itself made on the libuv thread pool. */
export type ThreadPoolSign = (request: SignWebhookRequest) => Promise<SignedWebhookHeaders>

/**
 * The thread-pool form of each signer made by `createSigner`, kept outside the object so that the
 * public `Signer` type stays `{ issuer, sign }`. A sender under concurrency takes it from here.
 */
const threadPoolSigns = new WeakMap<Signer, ThreadPoolSign>()

export function registerThreadPoolSign(signer: Signer, sign: ThreadPoolSign): void {
  threadPoolSigns.set(signer, sign)
}

/** The thread-pool form of `signer.sign`, or undefined for a signer not made by `createSigner`. */
export function threadPoolSignOf(signer: Signer): ThreadPoolSign | undefined {
  return threadPoolSigns.get(signer)
}
