import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Contender } from './contenders/contender.js';
import { createEmmettContender } from './contenders/emmett.js';
import { createHindsightContender } from './contenders/hindsight.js';
import { memoryBackend, postgresBackend, sqliteBackend } from './contenders/hindsight-backends.js';
import { createPool } from './contenders/pg-pools.js';
import { createRawContender } from './contenders/raw-pg.js';
import { renderChart } from './harness/chart.js';
import { type BenchResults, renderDetails, renderSummaryTable, renderTargets } from './harness/report.js';
import { runScenario, type ScenarioResult } from './harness/run.js';
import { renderScalingTable, runPartitionScaling } from './partitions/partition-scaling.js';
import {
  batchAppends,
  catchUp,
  concurrentAppends,
  consumerLatency,
  contendedAppends,
  contendedCommands,
  loadAggregate,
  projectionCatchUp,
  readStream,
  readStreamUpcast,
  sequentialAppends,
} from './scenarios/scenarios.js';
import { fullSizes, quickSizes } from './scenarios/sizes.js';
import { runSnapshotCurve } from './scenarios/snapshot-curve.js';

const usage = `Usage: npm run bench [-- --quick | --full] [--memory] [--scenarios=s1,s5a,…]

  --quick    a subset sized to run in a few minutes (default)
  --full     every scenario at full size (1M-event catch-up)
  --memory   run Hindsight on its in-memory storage instead of PostgreSQL (not comparable)
  --no-coalesce  Hindsight (pg) with coalesceAppends: false (each append its own statement)
  --scenarios=…  run only these scenario ids (s1 s2 s3 s4 s4b s5a s5b s5c s5d s6 s6b s7 partitions; or BENCH_SCENARIOS)
  --only partitions  only the partition scaling run (1, 2, 4 worker processes; BENCH_PARTITION_EVENTS
             events, default 100000)

PostgreSQL from HINDSIGHT_PG_URL (default postgres://postgres@127.0.0.1:5432/test). Each run creates
its own schemas and drops them at the end. Progress goes to stderr, the table to stdout, results to
bench/results/latest.{json,svg,txt} (with --scenarios: partial.{json,svg,txt}, so a subset never
replaces the last complete run).`;

// `npm run bench -- --full` from the root forwards through a second npm, which turns unknown flags
// into npm_config_* variables: accept both spellings.
const flag = (name: string): boolean =>
  process.argv.includes(`--${name}`) || process.env[`npm_config_${name}`] === 'true';
// npm reads `--no-coalesce` as the negation of a `coalesce` setting.
const noCoalesce = (): boolean =>
  process.argv.includes('--no-coalesce') || process.env.npm_config_coalesce === 'false';

function scenariosOption(): Set<string> | undefined {
  const only = process.argv.indexOf('--only');
  if (only >= 0) return new Set([process.argv[only + 1] ?? '']);
  if (process.env.npm_config_only !== undefined && process.env.npm_config_only !== 'true') {
    return new Set([process.env.npm_config_only]);
  }
  const inline = process.argv.find((arg) => arg.startsWith('--scenarios='));
  const index = process.argv.indexOf('--scenarios');
  const value =
    inline?.slice('--scenarios='.length) ??
    (index >= 0 ? process.argv[index + 1] : undefined) ??
    process.env.npm_config_scenarios ??
    process.env.BENCH_SCENARIOS;
  if (value === undefined || value === '' || value === 'true') return undefined;
  return new Set(value.split(',').map((id) => id.trim()));
}

const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
};

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  if (flag('help')) {
    console.log(usage);
    return;
  }
  const sizes = flag('full') ? fullSizes : quickSizes;
  const only = scenariosOption();
  const wanted = (id: string) => only === undefined || only.has(id);
  const url = process.env.HINDSIGHT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const runId = `bench_${Date.now().toString(36)}`;
  if (wanted('partitions')) await partitionScaling(url, `${runId}_partitions`);
  if (only?.size === 1 && only.has('partitions')) return;
  const schemas = { raw: `${runId}_raw`, emmett: `${runId}_emmett`, hindsight: `${runId}_hindsight` };
  const poolSize = 20;
  const started = Date.now();
  log(`${sizes.mode} run ${runId} on ${url.replace(/:[^:@/]*@/, ':***@')}`);

  const admin = createPool(url, 2);
  const postgresVersion = (await admin.query<{ v: string }>('SHOW server_version')).rows[0]?.v ?? '?';
  for (const schema of Object.values(schemas)) await admin.query(`CREATE SCHEMA "${schema}"`);

  const contenders: Contender[] = [];
  let interrupted = false;
  const cleanup = async () => {
    for (const contender of contenders.splice(0)) {
      await contender.close().catch((error: unknown) => log(`closing ${contender.label}: ${String(error)}`));
    }
    for (const schema of Object.values(schemas))
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  };
  let cleaning: Promise<void> | undefined;
  const cleanupOnce = (): Promise<void> => {
    cleaning ??= cleanup();
    return cleaning;
  };
  // A library's background loop may throw outside any awaited call (or once its pool is closed
  // under it after a signal): report it, still drop this run's schemas, then exit.
  process.on('uncaughtException', (error) => {
    if (interrupted) return;
    interrupted = true;
    log(`uncaught: ${error.stack ?? String(error)}`);
    void cleanupOnce().finally(() => process.exit(1));
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      log(`${signal}: dropping this run’s schemas…`);
      void cleanupOnce().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }

  try {
    const memory = flag('memory');
    contenders.push(await createRawContender(url, schemas.raw, poolSize));
    contenders.push(
      createHindsightContender(
        memory ? memoryBackend() : await postgresBackend(url, schemas.hindsight, poolSize, !noCoalesce()),
      ),
    );
    contenders.push(await createEmmettContender(url, schemas.emmett, poolSize));
    contenders.push(createHindsightContender(sqliteBackend()));

    const scenarios = [
      ['s1', sequentialAppends(sizes)],
      ['s2', concurrentAppends(sizes)],
      ['s3', batchAppends(sizes)],
      ['s4', contendedAppends(sizes)],
      ['s4b', contendedCommands(sizes)],
      ['s5a', readStream(sizes)],
      ['s5b', loadAggregate(sizes)],
      ['s5d', readStreamUpcast(sizes)],
      ['s6', catchUp(sizes)],
      ['s6b', projectionCatchUp(sizes)],
      ['s7', consumerLatency(sizes)],
    ] as const;
    const results: ScenarioResult[] = [];
    let snapshotCurve: BenchResults['snapshotCurve'] = [];
    for (const [id, scenario] of scenarios) {
      if (interrupted) return;
      if (wanted(id)) {
        const reps = id === 's6' || id === 's6b' ? sizes.catchUpReps : sizes.reps;
        results.push(
          await runScenario(scenario, contenders, {
            reps,
            warmups: sizes.warmups,
            warmupMs: sizes.warmupMs,
            log,
          }),
        );
      }
      if (id === 's5b' && wanted('s5c')) snapshotCurve = await runSnapshotCurve(contenders, sizes, log);
    }

    const report: BenchResults = {
      meta: {
        date: new Date().toISOString(),
        mode: sizes.mode,
        commit: gitCommit(),
        node: process.version,
        postgres: postgresVersion,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? '?',
        durationSeconds: Math.round((Date.now() - started) / 1000),
      },
      contenders: contenders.map(({ key, label, note, consumerNote }) => ({
        key,
        label,
        note: note ?? '',
        consumerNote,
      })),
      hindsightComparable: !memory,
      scenarios: results,
      snapshotCurve,
    };
    const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
    mkdirSync(outDir, { recursive: true });
    const name = only === undefined ? 'latest' : 'partial';
    writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(outDir, `${name}.svg`), renderChart(report));
    const text = `${renderSummaryTable(report)}\n\n${renderTargets(report)}\n\n${renderDetails(report)}\n`;
    writeFileSync(join(outDir, `${name}.txt`), text);
    process.stdout.write(text);
    log(`done in ${report.meta.durationSeconds} s: bench/results/${name}.{json,svg,txt}`);
  } catch (error) {
    // After a signal, the closing pools make the running trial fail: that is not the run's error.
    if (!interrupted) throw error;
  } finally {
    await cleanupOnce();
  }
}

/**
 * Worker processes sharing a partitioned projection, in a run of their own (they compete for the
 * same cores as everything else): writes bench/results/partitions.{json,txt}.
 */
async function partitionScaling(url: string, schema: string): Promise<void> {
  const events = Number(process.env.BENCH_PARTITION_EVENTS ?? 100_000);
  const results = await runPartitionScaling({ url, schema, events, busyMs: 0.2, partitions: 4, log });
  const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
  mkdirSync(outDir, { recursive: true });
  const table = renderScalingTable(results);
  writeFileSync(join(outDir, 'partitions.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, 'partitions.txt'), `${table}\n`);
  process.stdout.write(`${table}\n\n`);
}

await main();
