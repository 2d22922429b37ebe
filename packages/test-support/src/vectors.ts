import { readFileSync } from 'node:fs'

/** The repository's `test/vectors/` folder, where every externally authored vector lives. */
export const VECTORS_DIR = new URL('../../../test/vectors/', import.meta.url)

/**
 * Reads and parses one vector file, by its path below `test/vectors/`.
 *
 * @example
 * ```ts
 * const jws = readVectorFile<WycheproofFile>('wycheproof/json_web_signature_test.json')
 * ```
 */
export function readVectorFile<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, VECTORS_DIR), 'utf8')) as T
}
