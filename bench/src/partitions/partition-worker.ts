// One worker process of the partition-scaling benchmark: loads everything, says 'ready', starts the
// projection on 'go', and exits on 'stop'. Forked by partition-scaling.ts from the compiled output.
import {
  createEventStore,
  createProjectionRunner,
  defineProjection,
  defineStreamType,
} from '@hindsight/core';
import { createPostgresStorage } from '@hindsight/postgres';
import { createPool } from '../contenders/pg-pools.js';

interface WorkerOptions {
  readonly url: string;
  readonly schema: string;
  readonly name: string;
  readonly partitions: number | undefined;
  readonly worker: string;
  readonly busyMs: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as WorkerOptions;
const any = {
  '~standard': { version: 1 as const, vendor: 'bench', validate: (value: unknown) => ({ value }) },
};
const Counter = defineStreamType('Counter', { Added: any });

let spin = 0;
/**
 * The CPU-bound part: `busyMs` of this process's CPU time per event, as a costly projection would
 * spend. CPU time, not wall time: on a busy machine a wall-clock wait would also count the time
 * the process waited for a core, and so measure the neighbours instead of the work.
 */
function busyWork(): void {
  const start = process.cpuUsage();
  const budget = options.busyMs * 1_000;
  for (;;) {
    const { user, system } = process.cpuUsage(start);
    if (user + system >= budget) return;
    spin += 1;
  }
}

const pool = createPool(options.url, 4);
pool.on('error', () => undefined);
const storage = createPostgresStorage({ client: pool, schema: options.schema });
const store = createEventStore({ storage, events: [Counter] });
const projection = defineProjection(options.name, { from: [Counter] }).on('Added', () => busyWork());
const runner = createProjectionRunner(store, projection, {
  ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
  batchSize: 200,
  // A short membership interval, so instances started together split the partitions within a
  // fraction of a second of the timed run.
  lease: { owner: options.worker, ttlMs: 1_000 },
});

process.on('message', (message: { kind: string }) => {
  if (message.kind === 'go') void runner.start();
  if (message.kind === 'stop') {
    void (async () => {
      await runner.stop();
      await storage.close();
      await pool.end();
      process.send?.({ kind: 'stopped', spin: spin > 0 });
      process.disconnect();
    })();
  }
});
process.send?.({ kind: 'ready' });
