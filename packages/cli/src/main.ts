import * as deliveries from './commands/deliveries.js'
import * as connect from './commands/connect.js'
import * as jwks from './commands/jwks.js'
import * as keygen from './commands/keygen.js'
import * as listen from './commands/listen.js'
import * as send from './commands/send.js'
import * as sign from './commands/sign.js'
import * as verify from './commands/verify.js'
import { escapeTerminal } from './escape-terminal.js'
import { print } from './output.js'
import { EXIT, UsageError } from './usage-error.js'

interface Command {
  help: string
  run(args: string[]): Promise<number>
}

const COMMANDS: Readonly<Record<string, Command>> = {
  keygen,
  jwks,
  listen,
  send,
  sign,
  verify,
  deliveries,
  connect,
}

const HELP = `Usage: hookseal <command> [options]

Commands:
  keygen   generate a signing key and print its public JWKS
  jwks     print the public JWKS of key files
  sign     sign a body file and print the headers or a curl command
  verify   verify a webhook token; --explain shows every step
  send     sign and deliver a body file with retries, showing each attempt
  listen   run a local receiver that prints each webhook with its verdict
  deliveries  list, show and replay queued deliveries; enable and disable destinations
  connect  run the OAuth 2 connection dance for a customer and print the claims

Run "hookseal <command> --help" for a command's options and an example.
Exit codes: 0 success, 1 verification or delivery failed, 2 bad usage or input.`

/**
 * Runs one command line and returns its exit code; `bin/hookseal.js` is the only caller that
 * exits with it.
 *
 * @param args the arguments after the program name, as in `process.argv.slice(2)`
 * @example
 * process.exitCode = await main(['keygen', '--out', 'webhook-key.pem'])
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    print(HELP)
    return name === undefined ? EXIT.usage : EXIT.ok
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    process.stderr.write(
      `hookseal: unknown command ${escapeTerminal(JSON.stringify(name))}\n\n${HELP}\n`,
    )
    return EXIT.usage
  }
  try {
    return await command.run(rest)
  } catch (error) {
    if (error instanceof UsageError) {
      // Usage errors quote flag values and remote answers (a refused destination's reason).
      process.stderr.write(`hookseal ${name}: ${escapeTerminal(error.message)}\n`)
      return EXIT.usage
    }
    throw error
  }
}
