import { HooksealError } from '../errors/hookseal-error.js'

/**
 * A failure as telemetry may show it: its stable `code` (or the error's class name for anything
 * else), never its message, which can quote what a remote party sent.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof HooksealError) return error.code
  return error instanceof Error ? error.name : 'unknown'
}
