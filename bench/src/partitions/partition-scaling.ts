import { type ChildProcess, fork } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createEventStore, defineStreamType, partitionCheckpointId } from '@hindsight/core';
import { createPostgresStorage } from '@hindsight/postgres';
import { createPool } from '../contenders/pg-pools.js';

/** One row of the scaling table. */
export interface ScalingRow {
  readonly label: string;
  readonly processes: number;
  readonly partitions: number | undefined;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** Throughput over the one-process, unpartitioned row's. */
  readonly speedUp: number;
}

export interface ScalingResults {
  readonly meta: {
    readonly date: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly events: number;
    readonly streams: number;
    readonly busyMsPerEvent: number;
    readonly partitions: number;
  };
  readonly rows: readonly ScalingRow[];
}

export interface ScalingOptions {
  readonly url: string;
  readonly schema: string;
  readonly events: number;
  readonly busyMs: number;
  readonly partitions: number;
  readonly log: (line: string) => void;
}

const workerPath = fileURLToPath(new URL('./partition-worker.js', import.meta.url));
const streams = 1_000;

/**
 * A CPU-bound projection (`busyMs` of work per event) caught up over `events` events from position
 * 0 by 1, 2 and 4 worker processes sharing its partitions, on one PostgreSQL, one after the other
 * in one run; first without partitions as the baseline. Each row is a new projection (its own
 * checkpoints) over the same log, timed from the signal to start until every checkpoint is at the
 * head.
 */
export async function runPartitionScaling(options: ScalingOptions): Promise<ScalingResults> {
  const { url, schema, events, busyMs, partitions, log } = options;
  const pool = createPool(url, 4);
  const storage = createPostgresStorage({ client: pool, schema });
  const rows: ScalingRow[] = [];
  // Ctrl-C during the run: the worker processes go with it (see timeCatchUp), and so does the schema.
  const interrupted = (signal: NodeJS.Signals) => {
    void pool
      .query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    await storage.migrate();
    const any = {
      '~standard': { version: 1 as const, vendor: 'bench', validate: (value: unknown) => ({ value }) },
    };
    const store = createEventStore({ storage, events: [defineStreamType('Counter', { Added: any })] });
    const perAppend = 100;
    log(`partitions: appending ${events} events over ${streams} streams`);
    for (let appended = 0; appended < events; appended += perAppend) {
      const size = Math.min(perAppend, events - appended);
      await store.append(
        `c-${(appended / perAppend) % streams}`,
        Array.from({ length: size }, (_, n) => ({ type: 'Added' as const, data: { n } })),
        { streamType: 'Counter' },
      );
    }
    const head = await storage.headPosition();
    const runs: { label: string; processes: number; partitions: number | undefined }[] = [
      { label: '1 process, no partitions', processes: 1, partitions: undefined },
      { label: `1 process, ${partitions} partitions`, processes: 1, partitions },
      { label: `2 processes, ${partitions} partitions`, processes: 2, partitions },
      { label: `4 processes, ${partitions} partitions`, processes: 4, partitions },
    ];
    for (const [index, run] of runs.entries()) {
      const name = `cpu_${index}`;
      const seconds = await timeCatchUp(storage, head, {
        url,
        schema,
        name,
        busyMs,
        processes: run.processes,
        partitions: run.partitions,
      });
      const eventsPerSecond = events / seconds;
      const baseline = rows[0]?.eventsPerSecond ?? eventsPerSecond;
      rows.push({ ...run, seconds, eventsPerSecond, speedUp: eventsPerSecond / baseline });
      log(`partitions: ${run.label}: ${seconds.toFixed(1)} s, ${Math.round(eventsPerSecond)} events/s`);
    }
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await storage.close();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
  return {
    meta: {
      date: new Date().toISOString(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? '?',
      events,
      streams,
      busyMsPerEvent: busyMs,
      partitions,
    },
    rows,
  };
}

async function timeCatchUp(
  storage: ReturnType<typeof createPostgresStorage>,
  head: number,
  run: {
    url: string;
    schema: string;
    name: string;
    busyMs: number;
    processes: number;
    partitions: number | undefined;
  },
): Promise<number> {
  const children = Array.from({ length: run.processes }, (_, index) =>
    startWorker({ ...run, worker: `${run.name}-w${index}` }),
  );
  try {
    // Node's start-up and module loading stay outside the timed part.
    await Promise.all(children.map((child) => child.waitFor('ready')));
    const checkpointIds =
      run.partitions === undefined
        ? [`projection:${run.name}@1`]
        : Array.from({ length: run.partitions }, (_, index) =>
            partitionCheckpointId(`projection:${run.name}@1`, index, run.partitions ?? 1),
          );
    const started = performance.now();
    for (const child of children) child.process.send({ kind: 'go' });
    for (;;) {
      const positions = await Promise.all(checkpointIds.map((id) => storage.loadCheckpoint(id)));
      if (positions.every((position) => (position ?? 0) >= head)) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const seconds = (performance.now() - started) / 1000;
    for (const child of children) child.process.send({ kind: 'stop' });
    await Promise.all(children.map((child) => child.exited));
    return seconds;
  } finally {
    for (const child of children) child.process.kill('SIGKILL');
  }
}

function startWorker(options: Record<string, unknown>): {
  process: ChildProcess;
  waitFor(kind: string): Promise<void>;
  exited: Promise<void>;
} {
  const child = fork(workerPath, [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const seen = new Set<string>();
  const waiting = new Map<string, () => void>();
  child.on('message', (message: { kind: string }) => {
    seen.add(message.kind);
    waiting.get(message.kind)?.();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    process: child,
    exited,
    waitFor: (kind) =>
      seen.has(kind)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiting.set(kind, resolve);
            void exited.then(() => reject(new Error(`a benchmark worker exited before '${kind}'`)));
          }),
  };
}

/** The table as printed and written to bench/results/partitions.txt. */
export function renderScalingTable(results: ScalingResults): string {
  const { meta, rows } = results;
  const header = `Partitioned projection catch-up: ${meta.events} events over ${meta.streams} streams, ${meta.busyMsPerEvent} ms of CPU work per event, ${meta.cpus} CPU(s) (${meta.cpuModel})`;
  const lines = [
    header,
    '',
    '| run                          | seconds | events/s | speed-up |',
    '| ---------------------------- | ------: | -------: | -------: |',
    ...rows.map(
      (row) =>
        `| ${row.label.padEnd(28)} | ${row.seconds.toFixed(1).padStart(7)} | ${Math.round(row.eventsPerSecond)
          .toString()
          .padStart(8)} | ${`${row.speedUp.toFixed(2)}×`.padStart(8)} |`,
    ),
  ];
  return lines.join('\n');
}
