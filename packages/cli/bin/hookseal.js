#!/usr/bin/env node
// The package imports itself by name: installed, that resolves to dist/; in the repository, the
// @hookseal/source condition resolves it to the TypeScript sources.
import { main } from '@hookseal/cli'

process.exitCode = await main(process.argv.slice(2))
