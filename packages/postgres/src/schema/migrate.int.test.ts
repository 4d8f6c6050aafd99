import { PGlite } from '@electric-sql/pglite';
import { createEventStore, createSubscription, defineStreamType } from '@hindsight/core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { quoteIdentifier } from '../internal/identifiers.js';
import { createPostgresStorage } from '../postgres-storage.js';
import { createTestPool, dropSchema, serverLeftOut, uniqueSchema } from '../test-helpers.js';
import { migrate } from './migrate.js';
import { migrations } from './migrations.js';

const latest = migrations.map((migration) => migration.version);
/** A case that needs the PostgreSQL server. */
const onServer = it.skipIf(serverLeftOut);

describe('migrate', () => {
  const pool = createTestPool(12);
  const schemas: string[] = [];
  const fresh = (): string => {
    const schema = uniqueSchema('hs_migrate');
    schemas.push(schema);
    return schema;
  };
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(pool, schema);
    await pool.end();
  });

  onServer('creates the schema and every table and index, then has nothing left to do', async () => {
    const schema = fresh();
    expect(await migrate(pool, { schema })).toEqual({ applied: latest });
    expect(await migrate(pool, { schema })).toEqual({ applied: [] });
    const tables = await pool.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    expect(tables.rows.map((row) => row.table_name)).toEqual([
      'archived_events',
      'checkpoints',
      'documents',
      'events',
      'leases',
      'migrations',
      'snapshots',
      'stream_lifecycle',
      'streams',
    ]);
    const indexes = await pool.query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'events' ORDER BY indexname",
      [schema],
    );
    const definitions = indexes.rows.map((row) => row.indexdef.replace(/^.* USING /, '')).sort();
    expect(definitions).toEqual([
      'btree ("position")',
      'btree (event_id)',
      'btree (stream_id, version)',
      'btree (stream_type, "position")',
      'btree (type, "position")',
    ]);
    const sequences = await pool.query(
      'SELECT sequencename, cache_size::int AS cache FROM pg_sequences WHERE schemaname = $1',
      [schema],
    );
    expect(sequences.rows).toEqual([{ sequencename: 'event_position', cache: 1 }]);
  });

  onServer('continues positions after the counter when upgrading a schema of version 2', async () => {
    const schema = fresh();
    const quoted = quoteIdentifier(schema);
    await pool.query(`CREATE SCHEMA ${quoted}`);
    await pool.query(
      `CREATE TABLE ${quoted}.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    for (const migration of migrations.filter((candidate) => candidate.version <= 2)) {
      await pool.query(migration.sql(quoted));
      await pool.query(`INSERT INTO ${quoted}.migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
    }
    // As version 2 appended: the counter's last position, and the events below it.
    await pool.query(`UPDATE ${quoted}.global_position SET last = 41`);
    await pool.query(
      `INSERT INTO ${quoted}.events (position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at)
       VALUES (41, 's', 'Thing', 1, gen_random_uuid(), 'A', '{}', '{}', now())`,
    );
    await pool.query(
      `INSERT INTO ${quoted}.streams (stream_id, stream_type, version) VALUES ('s', 'Thing', 1)`,
    );
    expect(await migrate(pool, { schema })).toEqual({ applied: latest.filter((version) => version > 2) });
    const storage = createPostgresStorage({ client: pool, schema });
    try {
      expect(await storage.headPosition()).toBe(41);
      const result = await storage.append({
        streamId: 's',
        streamType: 'Thing',
        expectedVersion: 1,
        events: [{ eventId: globalThis.crypto.randomUUID(), type: 'B', data: {}, metadata: {} }],
      });
      expect(result.position).toBe(42);
      expect(await storage.headPosition()).toBe(42);
    } finally {
      await storage.close();
    }
  });

  onServer(
    'moves checkpoints and leases of the old id scheme to <kind>:<name>, where consumers pick them up',
    async () => {
      const schema = fresh();
      const quoted = quoteIdentifier(schema);
      await pool.query(`CREATE SCHEMA ${quoted}`);
      await pool.query(
        `CREATE TABLE ${quoted}.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (const migration of migrations.filter((candidate) => candidate.version <= 7)) {
        await pool.query(migration.sql(quoted));
        await pool.query(`INSERT INTO ${quoted}.migrations (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
      }
      await pool.query(
        `INSERT INTO ${quoted}.checkpoints (consumer_id, position) VALUES
       ('audit', 1), ('projection:orders@1', 2), ('process:fulfilment', 2), ('listener:mailer', 2), ('Process:upper', 2)`,
      );
      await pool.query(
        `INSERT INTO ${quoted}.leases (name, owner, expires_at) VALUES ('audit', 'worker', now())`,
      );
      expect(await migrate(pool, { schema })).toEqual({ applied: latest.filter((version) => version > 7) });
      const ids = await pool.query<{ consumer_id: string }>(
        `SELECT consumer_id FROM ${quoted}.checkpoints ORDER BY consumer_id COLLATE "C"`,
      );
      expect(ids.rows.map((row) => row.consumer_id)).toEqual([
        'listener:mailer',
        'process:fulfilment',
        'projection:orders@1',
        'subscription:Process:upper',
        'subscription:audit',
      ]);
      const leases = await pool.query<{ name: string }>(`SELECT name FROM ${quoted}.leases`);
      expect(leases.rows).toEqual([{ name: 'subscription:audit' }]);
      const storage = createPostgresStorage({ client: pool, schema });
      try {
        const Note = defineStreamType('Note', { Noted: z.object({}) });
        const store = createEventStore({ storage, events: [Note] });
        for (const id of ['n-1', 'n-2'])
          await store.append(id, [{ type: 'Noted', data: {} }], { streamType: 'Note' });
        const seen: number[] = [];
        const audit = createSubscription(store, {
          name: 'audit',
          handle: (event) => void seen.push(event.position),
        });
        await audit.start();
        await audit.waitUntilCaughtUp();
        await audit.stop();
        // It resumed after its old checkpoint (position 1) instead of starting over.
        expect(seen).toEqual([2]);
      } finally {
        await storage.close();
      }
    },
  );

  onServer('is safe when many processes migrate one schema at once', async () => {
    const schema = fresh();
    const results = await Promise.all(Array.from({ length: 10 }, () => migrate(pool, { schema })));
    expect(results.filter((result) => result.applied.length > 0)).toEqual([{ applied: latest }]);
    const recorded = await pool.query(`SELECT version FROM ${quoteIdentifier(schema)}.migrations`);
    expect(recorded.rows).toHaveLength(latest.length);
  });

  onServer('keeps schemas apart', async () => {
    const [first, second] = [fresh(), fresh()];
    await migrate(pool, { schema: first });
    expect(await migrate(pool, { schema: second })).toEqual({ applied: latest });
  });

  it('runs the same migrations on PGlite', async () => {
    const db = new PGlite();
    try {
      expect(await migrate(db)).toEqual({ applied: latest });
      expect(await migrate(db)).toEqual({ applied: [] });
      const { rows } = await db.query<{ last: number }>(
        "SELECT nextval('hindsight.event_position')::int AS last",
      );
      expect(rows).toEqual([{ last: 1 }]);
    } finally {
      await db.close();
    }
  });
});
