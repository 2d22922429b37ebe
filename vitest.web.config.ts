import { defineConfig } from 'vitest/config'

// Core's verifying tests again, on the WebCrypto and fetch side of its runtime seam: the export
// conditions workerd resolves with pick `src/runtime/web`, run here on Node's own WebCrypto and
// fetch. The runtimes themselves are driven by test/runtimes.test.ts.
const conditions = ['@hookseal/source', 'workerd', 'worker', 'browser', 'import', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@hookseal/source', 'node'] } },
  test: {
    include: [
      'packages/core/test/jwks/**/*.test.ts',
      'packages/core/test/schemes/**/*.test.ts',
      'packages/core/test/verifier-refusals.test.ts',
      'packages/core/test/attack-checklist.test.ts',
      'packages/core/test/wycheproof-verifier.test.ts',
      // The token parser decodes text through the seam too.
      'packages/core/test/fuzz-parser.test.ts',
      'packages/core/test/lib/strict-parsing.test.ts',
    ],
    exclude: [
      // The `ca` option needs node:tls; on the fetch path it is refused, as the README says.
      'packages/core/test/jwks/https.test.ts',
      // These compare the cached key with node:crypto's KeyObject.equals.
      'packages/core/test/jwks/caching.test.ts',
      'packages/core/test/jwks/unknown-kid.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
