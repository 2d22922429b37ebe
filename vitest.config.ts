import { defineConfig } from 'vitest/config'

// Workspace packages resolve to their TypeScript sources through this export condition, so tests
// never run against a stale build.
const conditions = ['@hookseal/source', 'node', 'import', 'default']
// Vitest hands these to Node as --conditions too; 'import' there would make require() pick ESM
// entry points inside CommonJS dependencies (Express 5's router then loads is-promise's .mjs).
const serverConditions = ['@hookseal/source', 'node']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: serverConditions, externalConditions: serverConditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Packs and installs the packages with npm: its own run, `pnpm test:packaging`.
    exclude: ['test/packaging/**', '**/node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
