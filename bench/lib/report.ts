/** Formatting of results as Markdown tables, for the terminal and for the README alike. */

export type Align = 'left' | 'right'

export interface Column<Row> {
  readonly title: string
  readonly align?: Align
  readonly value: (row: Row) => string
}

/** A Markdown table with its columns padded, so that it also reads well in a terminal. */
export function markdownTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row)))
  const widths = columns.map((column, i) =>
    Math.max(3, column.title.length, ...cells.map((line) => (line[i] as string).length)),
  )
  const pad = (text: string, i: number): string => {
    const width = widths[i] as number
    return columns[i]?.align === 'right' ? text.padStart(width) : text.padEnd(width)
  }
  const line = (texts: readonly string[]): string => `| ${texts.map(pad).join(' | ')} |`
  const rule = columns.map((column, i) => {
    const dashes = '-'.repeat(widths[i] as number)
    return column.align === 'right' ? `${dashes.slice(1)}:` : dashes
  })
  return [
    line(columns.map((column) => column.title)),
    `| ${rule.join(' | ')} |`,
    ...cells.map(line),
  ].join('\n')
}

/** 12345.6 → '12,346'; with `digits`, that many decimals. */
export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  })
}
