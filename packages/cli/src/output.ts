import { formatWithOptions } from 'node:util'
import { escapeTerminal } from './escape-terminal.js'

/** Colour only for a person at a terminal: never in pipes, files or when NO_COLOR is set. */
const colour = process.stdout.isTTY === true && !process.env.NO_COLOR

function paint(code: number): (text: string) => string {
  return (text) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text)
}

export const green = paint(32)
export const red = paint(31)
export const yellow = paint(33)
export const dim = paint(2)
export const bold = paint(1)

export function print(...parts: unknown[]): void {
  process.stdout.write(`${formatWithOptions({ colors: false }, ...parts)}\n`)
}

/**
 * JSON text that is safe on a terminal and still parses to the same value: `JSON.stringify` leaves
 * DEL, C1 and bidi controls raw inside strings, so each line is escaped (its own line breaks are
 * the only raw controls it holds, and they are layout, kept between the lines).
 */
export function jsonText(value: unknown, indent: number | undefined = 2): string {
  return JSON.stringify(value, null, indent).split('\n').map(escapeTerminal).join('\n')
}

/** Prints a value as indented JSON, or as one line with `{ compact: true }`. */
export function printJson(value: unknown, { compact = false } = {}): void {
  process.stdout.write(`${jsonText(value, compact ? undefined : 2)}\n`)
}

const UNITS = [
  ['d', 86_400],
  ['h', 3_600],
  ['min', 60],
  ['s', 1],
] as const

/** "3 h", "12 min", "4 s": the largest unit that fits, rounded down. */
function span(seconds: number): string {
  const abs = Math.abs(seconds)
  for (const [unit, size] of UNITS) {
    if (abs >= size) return `${Math.floor(abs / size)} ${unit}`
  }
  return '0 s'
}

/** "3 h ago" or "in 4 min", relative to `now` (both in epoch seconds). */
export function relative(epochSeconds: number, now: number): string {
  const delta = epochSeconds - now
  return delta <= 0 ? `${span(delta)} ago` : `in ${span(delta)}`
}

/** Local date and time: "2026-11-22 09:41:03". */
export function localTime(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000)
  const pad = (value: number) => String(value).padStart(2, '0')
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  )
}

/** Local date and time, plus the relative form: "2026-11-22 09:41:03 (3 h ago)". */
export function when(epochSeconds: number, now: number): string {
  return `${localTime(epochSeconds)} (${relative(epochSeconds, now)})`
}
