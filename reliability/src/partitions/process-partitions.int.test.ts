import { fileURLToPath } from 'node:url';
import {
  createEventStore,
  createProcessManager,
  defineAggregate,
  defineProcess,
  defineStreamType,
} from '@hindsight/core';
import { createPostgresStorage } from '@hindsight/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildPackages } from '../crash/crash-harness.js';
import { createRandom, readEverything, startRandomWriter } from '../support/events.js';
import { createPool, databaseUrl, dropSchema, uniqueName } from '../support/postgres.js';
import { recordFigures } from '../support/results.js';
import { scale, timeoutFor } from '../support/soak.js';
import { killAllThenCatchUp, killAtRandom, runningWorkers } from '../support/workers.js';

const workerPath = fileURLToPath(new URL('../../fixtures/process-partition-worker.mjs', import.meta.url));
const kills = scale(8, 150);
const instances = 3;
const partitions = 4;
const ttlMs = 400;

beforeAll(buildPackages, 180_000);
afterAll(() => {
  for (const child of runningWorkers) child.kill('SIGKILL');
});

// The fixture's definitions, for reading what its instances left: same names, same shapes.
const Counter = defineStreamType('Counter', { Added: z.object({ n: z.number() }) });
const Audit = defineAggregate('Audit')
  .events({ Recorded: z.object({ count: z.number() }) })
  .initialState(() => ({}))
  .evolve({ Recorded: (state) => state })
  .commands({});
const Tally = defineProcess('tally', {
  from: [Counter],
  to: [Audit],
  initialState: () => ({ count: 0, last: 0, disorder: 0 }),
}).on('Added', { key: (event) => groupOf(event.streamId), handle: (state) => state });
const groupOf = (streamId: string) => `group-${Number(streamId.slice(2)) % 6}`;

describe('a partitioned process manager across SIGKILLed instance processes on PostgreSQL', () => {
  it(
    'steps every instance once per event in log order, and sends each command once',
    async () => {
      const pool = createPool();
      const schema = uniqueName('hs_pm_parts');
      const storage = createPostgresStorage({ client: pool, schema });
      try {
        await storage.migrate();
        const seed = Date.now();
        const random = createRandom(seed);
        const workerOptions = { url: databaseUrl, schema, partitions, ttlMs };
        const writer = startRandomWriter(storage, random, { streams: 24, pauseEvery: 4, pauseMs: 2 });

        const workers = await killAtRandom(workerPath, workerOptions, { instances, kills, random });
        const appends = await writer.stop();
        await killAllThenCatchUp(workerPath, workerOptions, workers);

        const log = await readEverything(storage);
        const store = createEventStore({ storage, events: [Counter, Audit] });
        const reader = createProcessManager(store, Tally);
        const perGroup = new Map<string, number>();
        for (const event of log) {
          if (event.streamType === 'Counter') {
            perGroup.set(groupOf(event.streamId), (perGroup.get(groupOf(event.streamId)) ?? 0) + 1);
          }
        }
        let audited = 0;
        for (const [group, count] of perGroup) {
          // Stepped once per event of its streams, always after the one before it in the log.
          expect({ group, ...(await reader.state(group)) }).toMatchObject({ group, count, disorder: 0 });
          // One command per fifth step, sent once: 5, 10, 15… and no repeat.
          const recorded = log
            .filter((event) => event.streamId === `Audit-${group}`)
            .map((event) => (event.data as { count: number }).count);
          expect({ group, recorded }).toEqual({
            group,
            recorded: Array.from({ length: Math.floor(count / 5) }, (_, index) => (index + 1) * 5),
          });
          audited += recorded.length;
        }
        expect(await reader.scheduled()).toEqual([]);
        recordFigures('process-partitions', 'postgres', {
          seed,
          kills,
          instances,
          partitions,
          appends,
          events: log.length,
          commands: audited,
        });
      } finally {
        await storage.close();
        await dropSchema(pool, schema);
        await pool.end();
      }
    },
    timeoutFor(kills * 3_000),
  );
});
