import {
  createEventStore,
  createProjectionRunner,
  defineProjection,
  defineStreamType,
} from '@hindsight/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { quoteIdentifier } from './internal/identifiers.js';
import { createPostgresStorage, type PostgresStorage } from './postgres-storage.js';
import type { PostgresTransaction } from './postgres-transaction.js';
import { createTestPool, dropSchema, uniqueSchema, waitFor } from './test-helpers.js';

const Account = defineStreamType('Account', { Deposited: z.object({ amount: z.number() }) });

/** A partitioned projection on PostgreSQL, two instances (storages) sharing its partitions. */
describe('a partitioned projection on PostgreSQL', () => {
  const pool = createTestPool();
  const schema = uniqueSchema('hs_partitions');
  const applied = `${quoteIdentifier(schema)}.applied`;
  const storages: PostgresStorage[] = [];

  beforeAll(async () => {
    const storage = createPostgresStorage({ client: pool, schema });
    storages.push(storage);
    await storage.migrate();
    await pool.query(
      `CREATE TABLE ${applied} (event_id text NOT NULL, stream_id text NOT NULL, version int NOT NULL)`,
    );
  });
  afterAll(async () => {
    for (const storage of storages) await storage.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('splits the partitions between instances and applies each event once, in stream order', async () => {
    const Applied = defineProjection('applied', { from: [Account] })
      .withTransaction<PostgresTransaction>()
      .on('Deposited', async (event, { transaction }) => {
        await transaction.query(`INSERT INTO ${applied} VALUES ($1, $2, $3)`, [
          event.eventId,
          event.streamId,
          event.version,
        ]);
      });
    const instance = (owner: string) => {
      const storage = createPostgresStorage({ client: pool, schema });
      storages.push(storage);
      const store = createEventStore({ storage, events: [Account] });
      return createProjectionRunner(store, Applied, { partitions: 4, lease: { owner, ttlMs: 1_000 } });
    };
    const writes = createEventStore({ storage: storages[0] as PostgresStorage, events: [Account] });
    for (let i = 0; i < 60; i += 1) {
      await writes.append(`a-${i % 12}`, [{ type: 'Deposited', data: { amount: i } }], {
        streamType: 'Account',
      });
    }
    const a = instance('a');
    const b = instance('b');
    await a.start();
    await b.start();
    await waitFor(async () => {
      const owners = new Set(((await a.status()).partitions ?? []).map((partition) => partition.owner));
      return owners.has('a') && owners.has('b');
    }, 10_000);
    for (let i = 60; i < 120; i += 1) {
      await writes.append(`a-${i % 12}`, [{ type: 'Deposited', data: { amount: i } }], {
        streamType: 'Account',
      });
    }
    await a.waitUntilCaughtUp();
    await b.waitUntilCaughtUp();
    const status = await b.status();
    expect(status.partitions).toHaveLength(4);
    expect(status.partitions?.every((partition) => partition.position === 120)).toBe(true);
    await a.stop();
    await b.stop();
    const { rows } = await pool.query<{ event_id: string; stream_id: string; version: number }>(
      `SELECT event_id, stream_id, version FROM ${applied} ORDER BY ctid`,
    );
    expect(new Set(rows.map((row) => row.event_id)).size).toBe(120);
    expect(rows).toHaveLength(120);
    for (let s = 0; s < 12; s += 1) {
      expect(rows.filter((row) => row.stream_id === `a-${s}`).map((row) => row.version)).toEqual(
        Array.from({ length: 10 }, (_, i) => i + 1),
      );
    }
  });
});
