import type { Sender } from '../deliver/types.js'
import type { SigningKeySet } from '../sign/key-set-types.js'
import type { JwksResponseOptions } from './jwks-response.js'

/** Where a sender's JWKS is served unless the app says otherwise. */
export const DEFAULT_JWKS_PATH = '/.well-known/jwks.json'

/** What every adapter takes to publish a sender: the sender, its keys and the JWKS route. */
export interface SenderPublicationOptions extends JwksResponseOptions {
  /** From `createSender`; handlers reach it through the framework. */
  sender: Sender
  /** The key set whose public JWKS is served. */
  keys: SigningKeySet
  /** Route of the JWKS. @default '/.well-known/jwks.json' */
  path?: string
}

/**
 * Checks a sender publication's options once, for every adapter alike, and fills in the default
 * path. `caller` names the adapter function in the `TypeError`. The key set and `maxAge` are
 * checked by `jwksResponder`.
 *
 * @example
 * ```ts
 * const { sender, keys, path, maxAge } = checkSenderPublication(options, 'publishWebhookSender')
 * ```
 */
export function checkSenderPublication(
  options: SenderPublicationOptions,
  caller: string,
): SenderPublicationOptions & { path: string } {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${caller}: options must be an object`)
  }
  if (typeof options.sender?.send !== 'function') {
    throw new TypeError(`${caller}: sender must be a sender from createSender`)
  }
  return { ...options, path: checkJwksPath(options.path, caller) }
}

/**
 * The JWKS route option, checked: `DEFAULT_JWKS_PATH` when absent, else a path starting with `/`.
 * `caller` names the adapter function in the `TypeError`.
 */
export function checkJwksPath(path: unknown, caller: string): string {
  if (path === undefined) return DEFAULT_JWKS_PATH
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new TypeError(`${caller}: path must be a string starting with '/'`)
  }
  return path
}
