import { randomBytes } from 'node:crypto'
import { link, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/**
 * Writes a private key so that no other user can ever read it and nothing at `path` is followed.
 *
 * The key goes into a new file beside `path`, created with `O_EXCL` (never a file or link someone
 * planted under that name) and mode 0600 from its first byte, and is then moved into place: by
 * `rename` when `replace` is set, which swaps out whatever is at `path`, a symlink included, without
 * writing through it; else by `link`, which refuses when anything is at `path`, so checking for an
 * existing file and writing the key are one step.
 *
 * @param path where the key file ends up
 * @param content the key, PEM or JSON
 * @param replace whether an existing file (or symlink) at `path` is replaced; when false, an
 *   existing one makes this reject with `EEXIST`
 */
export async function writePrivateKey(
  path: string,
  content: string,
  replace: boolean,
): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`)
  const file = await open(temporary, 'wx', 0o600)
  let placed = false
  try {
    try {
      // The umask may have taken bits off the creation mode; the file is the owner's to read.
      await file.chmod(0o600)
      await file.writeFile(content)
      await file.sync()
    } finally {
      await file.close()
    }
    if (replace) {
      await rename(temporary, path)
      placed = true
    } else {
      await link(temporary, path)
    }
  } finally {
    // After link, the temporary name is a second name for the key; after a failure, its only one.
    // Either way it goes, and a failure to remove it must not hide the error being thrown.
    if (!placed) await unlink(temporary).catch(() => undefined)
  }
}
