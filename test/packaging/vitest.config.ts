import { defineConfig } from 'vitest/config'

// The packaging test installs the packed tarballs the way a user does, so nothing here resolves the
// workspace's TypeScript sources: no @hookseal/source condition.
export default defineConfig({
  test: {
    include: ['test/packaging/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
})
