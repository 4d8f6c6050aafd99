// Runs the reliability suite, then rewrites the "Reliability" section of the root README between
// <!-- reliability:start --> and <!-- reliability:end --> with the figures the scenarios recorded.
// `--soak` runs the soak sizes. Exits non-zero if a test failed (the section still lists it).

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSuite } from './run-suite.mjs';

const soak = process.argv.includes('--soak') || process.env.HINDSIGHT_SOAK === '1';
const results = fileURLToPath(new URL('../results/', import.meta.url));
const readmePath = fileURLToPath(new URL('../../README.md', import.meta.url));
const vitestJson = join(results, 'vitest.json');

// Figures of earlier runs (say, a soak) must not mix into this one's.
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
const status = runSuite({ soak, json: vitestJson });

const scenarios = Object.fromEntries(
  readdirSync(results)
    .filter((file) => file.endsWith('.json') && file !== 'vitest.json')
    .map((file) => {
      const content = JSON.parse(readFileSync(join(results, file), 'utf8'));
      return [content.scenario, content.runs];
    }),
);
let tests = { passed: 0, failed: 0, failures: [] };
try {
  const report = JSON.parse(readFileSync(vitestJson, 'utf8'));
  const all = report.testResults.flatMap((file) =>
    file.assertionResults.map((test) => ({
      ...test,
      file: file.name.slice(file.name.indexOf('reliability/')),
    })),
  );
  tests = {
    passed: all.filter((test) => test.status === 'passed').length,
    failed: all.filter((test) => test.status === 'failed').length,
    failures: all.filter((test) => test.status === 'failed').map((test) => `${test.file}: ${test.fullName}`),
  };
} catch {
  // No JSON report: the run did not get far enough to write one.
}

const runs = (scenario) => Object.entries(scenarios[scenario] ?? {});
const sum = (key, names = Object.keys(scenarios)) =>
  names.flatMap((name) => runs(name)).reduce((total, [, figures]) => total + (figures[key] ?? 0), 0);
const number = (value) => (value === undefined ? '–' : Number(value).toLocaleString('en-US'));

const lines = [];
lines.push(
  `Last run: ${new Date().toISOString().slice(0, 10)}, ${soak ? '**soak** mode' : 'CI sizes'}, ` +
    `Node ${process.version}; ${tests.passed} tests passed, ${tests.failed} failed.`,
  '',
  '| figure | value |',
  '| --- | --- |',
  `| events written and checked | ${number(sum('events'))} |`,
  `| concurrent writers (gap torture: 16 per storage; connection kills: 8) | ${number(sum('writers'))} |`,
  `| subscriber reads checked (events seen live) | ${number(sum('eventsSeenBySubscribers'))} |`,
  `| processes SIGKILLed (writers, projectors, process managers) | ${number(sum('kills'))} |`,
  `| connections terminated (\`pg_terminate_backend\`, writers and LISTEN) | ${number(sum('connectionKills') + sum('listenConnectionKills'))} |`,
  `| server restarts (soak only) | ${number(sum('restarts'))} |`,
  `| model-based operations compared across memory, SQLite, PostgreSQL | ${number(sum('operations'))} |`,
  `| acknowledged events lost | **${number(sum('lost'))}** |`,
  `| events stored, applied or sent twice | **${number(sum('duplicated'))}** |`,
  '',
  '| scenario | storage | figures |',
  '| --- | --- | --- |',
);
for (const [scenario, byStorage] of Object.entries(scenarios).sort()) {
  for (const [storage, figures] of Object.entries(byStorage)) {
    const text = Object.entries(figures)
      .map(([key, value]) => `${key} ${number(value)}`)
      .join(', ');
    lines.push(`| ${scenario} | ${storage} | ${text} |`);
  }
}
if (tests.failures.length > 0) {
  lines.push(
    '',
    'Failing (open findings; a failing test records no figures, so they are not counted above):',
    '',
  );
  for (const failure of tests.failures) lines.push(`- ${failure}`);
}

const start = '<!-- reliability:start -->';
const end = '<!-- reliability:end -->';
const readme = readFileSync(readmePath, 'utf8');
const from = readme.indexOf(start);
const to = readme.indexOf(end);
if (from < 0 || to < from) throw new Error(`README.md has no ${start} … ${end} section`);
writeFileSync(
  readmePath,
  `${readme.slice(0, from + start.length)}\n${lines.join('\n')}\n${readme.slice(to)}`,
);
// Biome formats Markdown tables (padded columns): format the section as `npm run lint` expects it.
const biome = join(
  dirname(createRequire(import.meta.url).resolve('@biomejs/biome/package.json')),
  'bin',
  'biome',
);
spawnSync(process.execPath, [biome, 'format', '--write', readmePath], { stdio: 'inherit' });
console.info(`README.md reliability section updated (${tests.passed} passed, ${tests.failed} failed)`);
process.exitCode = status;
