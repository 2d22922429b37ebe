import { WebhookError } from '../errors/webhook-error.js'
import { readHeaderValues } from './read-header-values.js'
import type { HeadersInput } from './types.js'

/**
 * The one value of header `name` (lowercase), or undefined when absent. A repeated header, or one
 * Node folded with ", ", is refused: which of the values the sender meant is anyone's guess.
 */
export function readSingleHeader(
  headers: HeadersInput,
  name: string,
  folds = true,
): string | undefined {
  const values = readHeaderValues(headers, name)
  if (values.length === 0) return undefined
  const value = values[0] as string
  if (values.length > 1 || (folds && value.includes(', '))) {
    throw new WebhookError('ERR_SIGNATURE_DUPLICATE', `more than one ${name} header was sent`)
  }
  return value.trim()
}
