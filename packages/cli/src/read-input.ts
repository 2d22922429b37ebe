import { readFile } from 'node:fs/promises'
import { UsageError } from './usage-error.js'

/** Reads a file named on the command line, turning a missing or unreadable file into exit 2. */
export async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (cause as Error).message
    throw new UsageError(`cannot read ${what} ${path}: ${reason}`)
  }
}
