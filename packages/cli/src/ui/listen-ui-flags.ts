import { escapeTerminal } from '../escape-terminal.js'
import { integerFlag } from '../parse-flags.js'
import { UsageError } from '../usage-error.js'
import type { ListenUiOptions } from './start-listen-ui.js'

/** The flags `hookseal listen` takes for its page, for its `parseFlags` call. */
export const LISTEN_UI_FLAGS = {
  ui: { type: 'boolean', default: false },
  'ui-host': { type: 'string', default: '127.0.0.1' },
  'ui-port': { type: 'string', default: '0' },
  'ui-history': { type: 'string', default: '500' },
  'ui-body-limit': { type: 'string', default: '65536' },
} as const

export const LISTEN_UI_HELP = `  --ui                    also serve a page that shows each request live, explains its
                          verdict, and copies, downloads or replays it (URL printed at start)
  --ui-host <host>        interface the page listens on (default: 127.0.0.1)
  --ui-port <port>        the page's port (default: 0, a free one)
  --ui-history <n>        how many requests the page keeps (default: 500)
  --ui-body-limit <bytes> body bytes kept per request; longer ones are shown truncated
                          (default: 65536)`

/** The page's options from the parsed flags, or undefined without `--ui`. */
export function listenUiOptions(values: {
  ui: boolean
  'ui-host': string
  'ui-port': string
  'ui-history': string
  'ui-body-limit': string
}): Pick<ListenUiOptions, 'host' | 'port' | 'history' | 'bodyLimit'> | undefined {
  if (!values.ui) return undefined
  const port = integerFlag(values['ui-port'], 'ui-port', 0) as number
  if (port > 65_535) throw new UsageError('--ui-port must be at most 65535')
  const history = integerFlag(values['ui-history'], 'ui-history', 1) as number
  if (history > 100_000) throw new UsageError('--ui-history must be at most 100000')
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(values['ui-host'])) {
    // The token is then all that stands between the network and every captured webhook.
    process.stderr.write(
      `warning: --ui-host ${escapeTerminal(values['ui-host'])} serves the page beyond this machine\n`,
    )
  }
  return {
    host: values['ui-host'],
    port,
    history,
    bodyLimit: integerFlag(values['ui-body-limit'], 'ui-body-limit', 0) as number,
  }
}
