import { DEFAULT_JWKS_PATH } from '@hookseal/core'

/** The JWKS path option, checked: `caller` names the function in the `TypeError`. */
export function jwksPath(path: unknown, caller: string): string {
  if (path === undefined) return DEFAULT_JWKS_PATH
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new TypeError(`${caller}: path must be a string starting with '/'`)
  }
  return path
}
