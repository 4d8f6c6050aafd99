import { fileURLToPath } from 'node:url';
import { partitionOf } from '@hindsight/core';
import { createPostgresStorage } from '@hindsight/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackages } from '../crash/crash-harness.js';
import { createRandom, readEverything, startRandomWriter } from '../support/events.js';
import { createPool, databaseUrl, dropSchema, uniqueName } from '../support/postgres.js';
import { recordFigures } from '../support/results.js';
import { scale, timeoutFor } from '../support/soak.js';
import { killAllThenCatchUp, killAtRandom, runningWorkers } from '../support/workers.js';

const workerPath = fileURLToPath(new URL('../../fixtures/partition-worker.mjs', import.meta.url));
const kills = scale(8, 150);
const instances = 3;
const partitions = 4;
const ttlMs = 400;

beforeAll(buildPackages, 180_000);
afterAll(() => {
  for (const child of runningWorkers) child.kill('SIGKILL');
});

describe('a partitioned projection across SIGKILLed instance processes on PostgreSQL', () => {
  it(
    'applies every event exactly once into the table, in per-stream order, shared between instances',
    async () => {
      const pool = createPool();
      const schema = uniqueName('hs_parts');
      const storage = createPostgresStorage({ client: pool, schema });
      try {
        await storage.migrate();
        await pool.query(`
          CREATE TABLE ${schema}.rm_streams (stream_id text PRIMARY KEY, events int NOT NULL, last_version int NOT NULL);
          CREATE TABLE ${schema}.rm_applied (position bigint NOT NULL, event_id text NOT NULL, worker text NOT NULL);
          CREATE TABLE ${schema}.rm_anomalies (position bigint NOT NULL, note text NOT NULL);
        `);
        const seed = Date.now();
        const random = createRandom(seed);
        const workerOptions = { url: databaseUrl, schema, partitions, ttlMs };

        const writer = startRandomWriter(storage, random, { streams: 24, pauseEvery: 4, pauseMs: 2 });

        const workers = await killAtRandom(workerPath, workerOptions, { instances, kills, random });
        const appends = await writer.stop();
        await killAllThenCatchUp(workerPath, workerOptions, workers);

        const log = await readEverything(storage);
        const { rows: applied } = await pool.query<{ event_id: string; worker: string }>(
          `SELECT event_id, worker FROM ${schema}.rm_applied`,
        );
        const { rows: anomalies } = await pool.query(`SELECT * FROM ${schema}.rm_anomalies`);
        const { rows: streams } = await pool.query<{
          stream_id: string;
          events: number;
          last_version: number;
        }>(`SELECT stream_id, events, last_version FROM ${schema}.rm_streams ORDER BY stream_id`);
        const appliedIds = new Set(applied.map((row) => row.event_id));
        const duplicated = applied.length - appliedIds.size;
        const lost = log.filter((event) => !appliedIds.has(event.eventId)).length;
        expect({ duplicated, lost, anomalies: anomalies.length }).toEqual({
          duplicated: 0,
          lost: 0,
          anomalies: 0,
        });
        const expected = new Map<string, number>();
        for (const event of log) expected.set(event.streamId, event.version);
        expect(streams).toEqual(
          [...expected.entries()]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([stream_id, version]) => ({ stream_id, events: version, last_version: version })),
        );
        // The instances really shared the work, and each event went to its stream's partition.
        const writers = new Set(applied.map((row) => row.worker));
        expect(writers.size).toBeGreaterThan(instances);
        expect(new Set(log.map((event) => partitionOf(event.streamId, partitions))).size).toBe(partitions);
        recordFigures('partitions', 'postgres', {
          seed,
          kills,
          instances,
          partitions,
          appends,
          events: log.length,
          applied: applied.length,
          instanceProcesses: writers.size,
          lost,
          duplicated,
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
