import { defineConfig } from 'vitest/config'

// Workspace packages resolve to their TypeScript sources through this export condition,
// so tests never run against a stale build.
const conditions = ['@hookseal/source', 'node', 'import', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
