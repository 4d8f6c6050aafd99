// Runs the reliability suite from the repository root (the root vitest configuration resolves the
// packages to their sources). `--soak` runs every scenario longer and bigger; `--json <file>` also
// writes vitest's JSON report there. Figures land in reliability/results/*.json.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const results = fileURLToPath(new URL('../results/', import.meta.url));

export function runSuite({ soak = false, json } = {}) {
  rmSync(results, { recursive: true, force: true });
  // The package's bin (not an export): its folder is found through package.json, which is exported.
  const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
  const args = [vitest, 'run', 'reliability/src'];
  if (json !== undefined) args.push('--reporter=default', '--reporter=json', `--outputFile.json=${json}`);
  const env = { ...process.env, ...(soak ? { HINDSIGHT_SOAK: '1' } : {}) };
  const { status } = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
  return status ?? 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = runSuite({
    soak: process.argv.includes('--soak') || process.env.HINDSIGHT_SOAK === '1',
  });
}
