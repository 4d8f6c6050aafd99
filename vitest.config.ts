import { defineConfig } from 'vitest/config';

// biome-ignore lint/style/noDefaultExport: vitest loads its configuration from the default export
export default defineConfig({
  resolve: { conditions: ['@hindsight/source'] },
  ssr: { resolve: { conditions: ['@hindsight/source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'examples/*/src/**/*.test.ts',
      'reliability/src/**/*.test.ts',
      'bench/src/**/*.test.ts',
      'docs/test/**/*.test.ts',
    ],
    allowOnly: false,
    // The explorer serves its page script compiled; this builds it before any test runs.
    globalSetup: ['packages/cli/src/test-support/build-explorer-page.ts'],
    testTimeout: 30_000,
  },
});
