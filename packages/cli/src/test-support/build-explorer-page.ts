import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * Vitest global set-up: builds the explorer's page script (`tsc -b`, incremental), which the
 * explorer serves from the package's dist even when its server runs from source.
 */
export function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const project = join(import.meta.dirname, '..', 'explorer', 'page');
  execFileSync(process.execPath, [tsc, '-b', project], { stdio: 'inherit' });
}
