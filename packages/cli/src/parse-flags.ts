import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import { UsageError } from './usage-error.js'

type Options = NonNullable<ParseArgsConfig['options']>
type WithHelp<T extends Options> = T & { help: { type: 'boolean'; short: 'h' } }
type Parsed<T extends Options> = ReturnType<
  typeof parseArgs<{
    args: string[]
    options: WithHelp<T>
    allowPositionals: boolean
    strict: true
  }>
>

/** `parseArgs` with strict checking, whose complaints become usage errors (exit 2). */
export function parseFlags<T extends Options>(
  args: string[],
  options: T,
  positionals = false,
): Parsed<T> {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } } as WithHelp<T>,
      allowPositionals: positionals,
      strict: true,
    })
  } catch (cause) {
    throw new UsageError((cause as Error).message)
  }
}

/** The value of a flag the command cannot run without. */
export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing --${flag}`)
  return value
}

/** A flag holding a whole number within bounds. */
export function integerFlag(
  value: string | undefined,
  flag: string,
  min: number,
): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!Number.isSafeInteger(number) || number < min) {
    throw new UsageError(`--${flag} must be a whole number, ${min} or more (got ${value})`)
  }
  return number
}
