import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { soak } from './soak.js';

/** Where scenarios leave their figures for `npm run report -w reliability`. */
export const resultsFolder = fileURLToPath(new URL('../../results/', import.meta.url));

/** The figures one scenario reports: counts only, so the report can sum them. */
export type Figures = Readonly<Record<string, number>>;

/**
 * Adds `figures` to the scenario's result file (`results/<scenario>.json`): several tests of one
 * scenario (one per storage) accumulate into it. Written after the test's assertions passed, so a
 * figure in the report is a figure that was checked.
 */
export function recordFigures(scenario: string, storage: string, figures: Figures): void {
  mkdirSync(resultsFolder, { recursive: true });
  const file = join(resultsFolder, `${scenario}.json`);
  let existing: { scenario: string; soak: boolean; runs: Record<string, Figures> } = {
    scenario,
    soak,
    runs: {},
  };
  try {
    existing = JSON.parse(readFileSync(file, 'utf8')) as typeof existing;
  } catch {
    // First run of this scenario.
  }
  existing.soak = soak;
  existing.runs[storage] = figures;
  writeFileSync(file, `${JSON.stringify(existing, null, 2)}\n`);
}
