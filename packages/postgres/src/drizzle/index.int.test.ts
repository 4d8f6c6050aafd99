import { PGlite, type Transaction } from '@electric-sql/pglite';
import { eq } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { getTableConfig, integer, isPgSequence, pgSchema, text } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStorage, type PostgresStorage } from '../postgres-storage.js';
import { createTestPool, dropSchema, serverLeftOut, uniqueSchema } from '../test-helpers.js';
import { hindsightFunctionsSql, hindsightTables } from './index.js';

function request(streamId: string) {
  return {
    streamId,
    streamType: 'Order',
    expectedVersion: 'no_stream' as const,
    events: [
      { eventId: globalThis.crypto.randomUUID(), type: 'OrderPlaced', data: { total: 10 }, metadata: {} },
    ],
  };
}

/** A read model of the user's, beside the events, in the same schema. */
function orderTotalsIn(schema: string) {
  return pgSchema(schema).table('order_totals', {
    id: text('id').primaryKey(),
    total: integer('total').notNull(),
  });
}
const createOrderTotals = (schema: string) =>
  `CREATE TABLE "${schema}".order_totals (id text PRIMARY KEY, total integer NOT NULL)`;

describe.skipIf(serverLeftOut)('Drizzle table definitions', () => {
  const pool = createTestPool();
  const schema = uniqueSchema('hs_drizzle');
  const tables = hindsightTables(schema);
  const orderTotals = orderTotalsIn(schema);
  let storage: PostgresStorage<PoolClient>;

  beforeAll(async () => {
    storage = createPostgresStorage({ client: pool, schema });
    await storage.migrate();
    await pool.query(createOrderTotals(schema));
  });
  afterAll(async () => {
    await storage.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('match what migrate() creates: columns, types, nullability, constraint and index names', async () => {
    const { schema: _schema, eventPosition: _sequence, ...definitions } = tables;
    for (const table of Object.values(definitions)) {
      const config = getTableConfig(table);
      const { rows } = await pool.query<{ name: string; type: string; not_null: boolean }>(
        `SELECT a.attname AS name,
           format_type(a.atttypid, a.atttypmod) || CASE WHEN co.collname = 'C' THEN ' COLLATE "C"' ELSE '' END AS type,
           a.attnotnull AS not_null
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_collation co ON co.oid = a.attcollation
         WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [schema, config.name],
      );
      expect(
        config.columns.map((column) => ({
          name: column.name,
          type: column.getSQLType(),
          not_null: column.notNull,
        })),
        config.name,
      ).toEqual(rows);
      const indexes = await pool.query<{ indexname: string }>(
        'SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname',
        [schema, config.name],
      );
      const declared = [
        ...(config.primaryKeys.length === 0 ? [`${config.name}_pkey`] : []),
        ...config.primaryKeys.map((key) => key.getName()),
        ...config.columns.flatMap((column) =>
          column.isUnique && column.uniqueName ? [column.uniqueName] : [],
        ),
        ...config.uniqueConstraints.map((constraint) => constraint.getName()),
        ...config.indexes.map((index) => index.config.name),
      ].sort();
      expect(declared, config.name).toEqual(indexes.rows.map((row) => row.indexname));
    }
  });

  it('give the functions the storage calls, as migrate() creates them', async () => {
    const other = uniqueSchema('hs_drizzle_functions');
    const functionsOf = async (name: string) =>
      (
        await pool.query<{ name: string; arguments: string; body: string }>(
          `SELECT p.proname AS name, pg_get_function_identity_arguments(p.oid) AS arguments,
             replace(p.prosrc, $1, 'SCHEMA') AS body
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = $2 ORDER BY p.proname`,
          [`"${name}"`, name],
        )
      ).rows;
    const migrated = await functionsOf(schema);
    expect(migrated.map((row) => row.name)).toEqual([
      'append_events',
      'append_events_batch',
      'fnv1a',
      'partition_of',
      'read_all_page',
      'read_all_page_by_stream_type',
      'read_all_page_by_type',
      'read_partition_page',
      'read_partition_page_by_stream_type',
      'read_partition_page_by_type',
    ]);
    // A schema whose tables came from elsewhere (drizzle-kit): its functions come from the SQL.
    const client = await pool.connect();
    try {
      await client.query(`CREATE SCHEMA "${other}"`);
      for (const name of ['events', 'archived_events', 'streams']) {
        await client.query(`CREATE TABLE "${other}".${name} (LIKE "${schema}".${name} INCLUDING ALL)`);
      }
      await client.query(`CREATE SEQUENCE "${other}".event_position CACHE 1`);
      await client.query(hindsightFunctionsSql(other));
      expect(await functionsOf(other)).toEqual(migrated);
      const { rows } = await client.query<{ positions: string; version: number }>(
        `SELECT positions, version FROM "${other}".append_events('s-1', 'Order', 1, 'no_stream', NULL,
           ARRAY[gen_random_uuid()], ARRAY['OrderPlaced'], ARRAY['{}'], ARRAY['{}'], 1, 2, ARRAY[NULL]::bigint[])`,
      );
      expect(rows).toEqual([{ positions: '1', version: 1 }]);
    } finally {
      client.release();
      await dropSchema(pool, other);
    }
  });

  it('match the position sequence migrate() creates', async () => {
    const sequence = tables.eventPosition;
    expect(isPgSequence(sequence)).toBe(true);
    const { rows } = await pool.query<Record<string, string>>(
      `SELECT sequencename AS name, data_type::text AS type, start_value::text AS "startWith",
         min_value::text AS "minValue", increment_by::text AS increment, cache_size::text AS cache,
         cycle::text AS cycle
       FROM pg_sequences WHERE schemaname = $1`,
      [schema],
    );
    const options = sequence.seqOptions ?? {};
    expect(rows).toEqual([
      {
        name: sequence.seqName,
        type: 'bigint',
        startWith: String(options.startWith),
        minValue: String(options.minValue),
        increment: String(options.increment),
        cache: String(options.cache),
        cycle: String(options.cycle),
      },
    ]);
  });

  it('read the events the storage wrote', async () => {
    const result = await storage.append(request('order-read'));
    const db = drizzlePg(pool);
    const rows = await db.select().from(tables.events).where(eq(tables.events.streamId, 'order-read'));
    const [event] = result.events;
    expect(rows).toEqual([
      {
        position: event?.position,
        streamId: 'order-read',
        streamType: 'Order',
        version: 1,
        eventId: event?.eventId,
        type: 'OrderPlaced',
        data: { total: 10 },
        metadata: {},
        recordedAt: event?.timestamp,
      },
    ]);
  });

  it('write read models inside the append transaction with drizzle(tx.client)', async () => {
    await storage.append(request('order-1'), async (tx, events) => {
      await drizzlePg(tx.client)
        .insert(orderTotals)
        .values({ id: events[0]?.streamId ?? '', total: 10 });
    });
    await expect(
      storage.append(request('order-2'), async (tx) => {
        await drizzlePg(tx.client).insert(orderTotals).values({ id: 'order-2', total: 20 });
        throw new Error('projection failed');
      }),
    ).rejects.toThrow('projection failed');
    const totals = await drizzlePg(pool).select().from(orderTotals).orderBy(orderTotals.id);
    expect(totals).toEqual([{ id: 'order-1', total: 10 }]);
    expect(await storage.streamInfo('order-2')).toBeUndefined();
  });
});

describe('Drizzle on PGlite', () => {
  const db = new PGlite();
  const orderTotals = orderTotalsIn('hindsight');
  let storage: PostgresStorage<Transaction>;

  beforeAll(async () => {
    storage = createPostgresStorage({ client: db });
    await storage.migrate();
    await db.exec(createOrderTotals('hindsight'));
  });
  afterAll(async () => {
    await storage.close();
    await db.close();
  });

  it('writes read models inside the append transaction with drizzle(tx.client)', async () => {
    // drizzle-orm/pglite is typed for a PGlite instance; a PGlite transaction has the query API it uses.
    await storage.append(request('order-1'), async (tx) => {
      await drizzlePglite(tx.client as unknown as PGlite)
        .insert(orderTotals)
        .values({ id: 'order-1', total: 10 });
    });
    await expect(
      storage.append(request('order-2'), async (tx) => {
        await drizzlePglite(tx.client as unknown as PGlite)
          .insert(orderTotals)
          .values({ id: 'order-2', total: 20 });
        throw new Error('projection failed');
      }),
    ).rejects.toThrow('projection failed');
    expect(await drizzlePglite(db).select().from(orderTotals)).toEqual([{ id: 'order-1', total: 10 }]);
    const events = await drizzlePglite(db).select().from(hindsightTables().events);
    expect(events.map((event) => event.streamId)).toEqual(['order-1']);
  });
});
