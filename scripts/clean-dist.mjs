// Empties a package's dist/ before a build, so that a file removed from src/ is never shipped.
import { rmSync } from 'node:fs'

rmSync(new URL('dist', `file://${process.cwd()}/`), { recursive: true, force: true })
