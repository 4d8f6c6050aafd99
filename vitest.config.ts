import { configDefaults, defineConfig } from 'vitest/config';
import { suitesWithoutServer } from './test-support/test-servers.js';

const { exclude, note, env } = await suitesWithoutServer(import.meta.dirname);

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
      'test-support/**/*.test.ts',
    ],
    exclude: [...configDefaults.exclude, ...exclude],
    env,
    allowOnly: false,
    // The explorer serves its page script compiled; this builds it before any test runs.
    globalSetup: ['packages/cli/src/test-support/build-explorer-page.ts'],
    testTimeout: 30_000,
    // Set-up (a PGlite start, a migration, a build for child processes) takes seconds when the
    // machine is shared; a hook that outlasts this is stuck, not slow.
    hookTimeout: 120_000,
    // The note comes last, under the summary, where a reader looks for what did not run.
    reporters:
      note === undefined ? ['default'] : ['default', { onTestRunEnd: () => console.log(`\n${note}\n`) }],
  },
});
