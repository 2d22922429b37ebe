/**
 * The chart of scenarios 1 and 2 as a hand-written SVG: horizontal bars, one panel per scenario,
 * with the spread of the rounds as whiskers. No chart library: a few rectangles and labels.
 */
import type { HttpResult } from '../scenarios/http.js'
import type { VerifyResult } from '../scenarios/verify.js'
import { formatNumber } from './report.js'

const WIDTH = 880
const LABEL_WIDTH = 250
const BAR_AREA = 440
const ROW_HEIGHT = 26
const BAR_HEIGHT = 16
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"'

const COLORS = {
  reference: '#8c959f',
  hookseal: '#1f6feb',
  other: '#d4a72c',
  plain: '#8c959f',
  text: '#24292f',
  muted: '#57606a',
  grid: '#d0d7de',
  target: '#cf222e',
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escape(content)}</text>`
}

interface Bar {
  readonly label: string
  readonly value: number
  /** Middle half of the rounds, drawn as a whisker. */
  readonly low: number
  readonly high: number
  readonly color: string
  readonly note: string
}

interface Panel {
  readonly title: string
  readonly subtitle: string
  readonly unit: string
  readonly bars: readonly Bar[]
  /** A dashed line at this value, with its label. */
  readonly marker?: { readonly value: number; readonly label: string }
}

function niceMax(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    if (step * magnitude >= value) return step * magnitude
  }
  return 10 * magnitude
}

function drawPanel(panel: Panel, top: number): { svg: string; height: number } {
  const max = niceMax(Math.max(...panel.bars.map((bar) => Math.max(bar.value, bar.high))))
  const scale = (value: number): number => LABEL_WIDTH + (value / max) * BAR_AREA
  const parts: string[] = []
  parts.push(
    text(16, top + 20, panel.title, `font-size="15" font-weight="600" fill="${COLORS.text}"`),
  )
  parts.push(text(16, top + 38, panel.subtitle, `font-size="12" fill="${COLORS.muted}"`))
  const chartTop = top + 64
  const chartHeight = panel.bars.length * ROW_HEIGHT
  for (let tick = 0; tick <= 4; tick++) {
    const value = (max / 4) * tick
    const x = scale(value)
    parts.push(
      `<line x1="${x}" y1="${chartTop}" x2="${x}" y2="${chartTop + chartHeight}" stroke="${COLORS.grid}" stroke-width="1"/>`,
    )
    parts.push(
      text(
        x,
        chartTop + chartHeight + 14,
        formatNumber(value),
        `font-size="11" text-anchor="middle" fill="${COLORS.muted}"`,
      ),
    )
  }
  parts.push(
    text(
      LABEL_WIDTH + BAR_AREA / 2,
      chartTop + chartHeight + 30,
      panel.unit,
      `font-size="11" text-anchor="middle" fill="${COLORS.muted}"`,
    ),
  )
  panel.bars.forEach((bar, i) => {
    const y = chartTop + i * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
    const middle = y + BAR_HEIGHT / 2
    parts.push(
      text(
        LABEL_WIDTH - 10,
        middle + 4,
        bar.label,
        `font-size="12" text-anchor="end" fill="${COLORS.text}"`,
      ),
    )
    parts.push(
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${(scale(bar.value) - LABEL_WIDTH).toFixed(1)}" height="${BAR_HEIGHT}" rx="2" fill="${bar.color}"/>`,
    )
    const [low, high] = [scale(bar.low), scale(bar.high)]
    parts.push(
      `<path d="M${low.toFixed(1)} ${middle}H${high.toFixed(1)}M${low.toFixed(1)} ${middle - 4}V${middle + 4}M${high.toFixed(1)} ${middle - 4}V${middle + 4}" stroke="${COLORS.text}" stroke-width="1.2" fill="none"/>`,
    )
    parts.push(
      text(
        Math.max(scale(bar.value), high) + 8,
        middle + 4,
        bar.note,
        `font-size="11" fill="${COLORS.text}"`,
      ),
    )
  })
  if (panel.marker) {
    const x = scale(panel.marker.value)
    parts.push(
      `<line x1="${x.toFixed(1)}" y1="${chartTop - 4}" x2="${x.toFixed(1)}" y2="${chartTop + chartHeight}" stroke="${COLORS.target}" stroke-width="1.5" stroke-dasharray="4 3"/>`,
    )
    parts.push(
      text(x + 4, chartTop - 6, panel.marker.label, `font-size="11" fill="${COLORS.target}"`),
    )
  }
  return { svg: parts.join('\n'), height: chartTop + chartHeight + 44 - top }
}

function verifyPanel(result: VerifyResult): Panel {
  const reference = result.rows.find((row) => row.name === result.reference)
  return {
    title: 'Scenario 1 — verifications per second, in process',
    subtitle: `RS256 2048-bit, cached key, ${result.bodyBytes} B JSON body with digest claim; median of ${result.rounds} interleaved rounds, whiskers p25–p75`,
    unit: 'verifications per second (higher is better)',
    bars: result.rows.map((row) => ({
      label: row.name,
      value: row.opsPerSecond,
      low: 1e6 / row.p75Micros,
      high: 1e6 / row.p25Micros,
      color:
        row.name === result.reference
          ? COLORS.reference
          : row.name === result.target.name
            ? COLORS.hookseal
            : COLORS.other,
      note: `${formatNumber(row.opsPerSecond)}/s · ${row.medianMicros.toFixed(1)} µs · ${row.ratio.toFixed(2)}×`,
    })),
    ...(reference && {
      marker: {
        value: reference.opsPerSecond * result.target.ratio,
        label: `target: ${result.target.ratio.toFixed(2)}× ${result.reference}`,
      },
    }),
  }
}

function httpPanel(result: HttpResult): Panel {
  return {
    title: 'Scenario 2 — requests per second over HTTP (loopback)',
    subtitle: `autocannon, ${result.connections} connections, ${result.rounds} interleaved rounds of ${result.roundSeconds} s; a distinct RS256 token per request; whiskers p25–p75`,
    unit: 'requests per second (higher is better)',
    bars: result.rows.map((row) => ({
      label: row.name,
      value: row.requestsPerSecond,
      low: row.p25RequestsPerSecond,
      high: row.p75RequestsPerSecond,
      color: !row.verified
        ? COLORS.plain
        : row.name.includes('hookseal')
          ? COLORS.hookseal
          : COLORS.other,
      note:
        `${formatNumber(row.requestsPerSecond)}/s · p99 ${row.p99Ms} ms` +
        (row.ratioToBaseline === undefined ? '' : ` · ${row.ratioToBaseline.toFixed(2)}×`),
    })),
  }
}

/** The SVG of whichever of scenarios 1 and 2 has a result; undefined when neither has. */
export function renderChart(
  verify: VerifyResult | undefined,
  http: HttpResult | undefined,
  footer: string,
): string | undefined {
  const panels = [verify && verifyPanel(verify), http && httpPanel(http)].filter(
    (panel): panel is Panel => panel !== undefined,
  )
  if (panels.length === 0) return undefined
  const parts: string[] = []
  let top = 8
  for (const panel of panels) {
    const drawn = drawPanel(panel, top)
    parts.push(drawn.svg)
    top += drawn.height + 12
  }
  parts.push(text(16, top + 6, footer, `font-size="11" fill="${COLORS.muted}"`))
  const height = top + 20
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}
