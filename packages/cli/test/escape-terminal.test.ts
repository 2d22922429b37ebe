import { describe, expect, it } from 'vitest'
import { escapeTerminal } from '../src/escape-terminal.js'
import { jsonText } from '../src/output.js'
import { HOSTILE, terminalControls } from './run-cli.js'

describe('escapeTerminal', () => {
  it('writes every control a terminal acts on as a visible escape', () => {
    const escaped = escapeTerminal(HOSTILE)
    expect(terminalControls(escaped)).toEqual([])
    expect(escaped).not.toContain('\n')
    expect(escaped).toBe(
      '\\u001b]0;pwned\\u0007\\u001b]52;c;cm0gLXJmIH4=\\u0007\\r✔ delivered: 204\\n\\u009b31m' +
        '\\u202egnp.exe\\u2066x\\u2069\\u200f\\u061c\\u007f',
    )
  })

  it('escapes each C0 and C1 control, DEL, and every bidi control', () => {
    const controls = [
      ...Array.from({ length: 0x20 }, (_, code) => code),
      ...Array.from({ length: 0x21 }, (_, index) => 0x7f + index),
      0x061c,
      0x200e,
      0x200f,
      0x202a,
      0x202b,
      0x202c,
      0x202d,
      0x202e,
      0x2066,
      0x2067,
      0x2068,
      0x2069,
    ]
    for (const code of controls) {
      const escaped = escapeTerminal(String.fromCharCode(code))
      expect(escaped, `U+${code.toString(16)}`).toMatch(/^\\/)
      expect(JSON.parse(`"${escaped}"`)).toBe(String.fromCharCode(code))
    }
  })

  it('leaves printable text alone, accents, symbols and emoji included', () => {
    const text = 'café ✔ 日本 🚀 "quoted" \\ back'
    expect(escapeTerminal(text)).toBe(text)
  })

  it('keeps JSON output valid and equal in value while escaping it', () => {
    const value = { body: HOSTILE, nested: [HOSTILE] }
    for (const indent of [2, undefined]) {
      const text = jsonText(value, indent)
      expect(terminalControls(text)).toEqual([])
      expect(JSON.parse(text)).toEqual(value)
    }
  })
})
