import {
  createEventStore,
  createProjectionRunner,
  defineProjection,
  defineStreamType,
  type StandardSchemaProps,
} from '@hindsight/core';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createPostgresStorage, type PostgresStorage } from './postgres-storage.js';
import type { PostgresTransaction } from './postgres-transaction.js';
import { createTestPool, dropSchema, sleep, uniqueSchema, waitFor } from './test-helpers.js';

const number: { readonly '~standard': StandardSchemaProps<{ n: number }> } = {
  '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value: value as { n: number } }) },
};
const Counter = defineStreamType('Counter', { Added: number });
type Tx = PostgresTransaction<pg.PoolClient>;

const pool = createTestPool(20);
const schemas: string[] = [];
const opened: PostgresStorage<pg.PoolClient>[] = [];
afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
  for (const schema of schemas.splice(0)) await dropSchema(pool, schema);
});
afterAll(() => pool.end());

async function openStorage(client: pg.Pool = pool): Promise<PostgresStorage<pg.PoolClient>> {
  const schema = uniqueSchema('hs_consumers');
  schemas.push(schema);
  const storage = createPostgresStorage({ client, schema });
  await storage.migrate();
  opened.push(storage);
  return storage;
}

/** A read model with one table per version, as rebuilds want: `<schema>.totals_v<n>`. */
function totalsTable(schema: string, version: number): string {
  return `${schema}.totals_v${version}`;
}

async function createTotals(
  client: { query(text: string): Promise<unknown> },
  schema: string,
  version: number,
): Promise<void> {
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${totalsTable(schema, version)} (stream_id text PRIMARY KEY, total int8 NOT NULL, events int8 NOT NULL)`,
  );
}

function totalsProjection(schema: string) {
  return defineProjection('totals', { from: [Counter] })
    .withTransaction<Tx>()
    .on('Added', async (event, { transaction, version }) => {
      if (event.data.n < 0) throw new Error('negative amounts are refused by the read model');
      await transaction.query(
        `INSERT INTO ${totalsTable(schema, version)} AS t (stream_id, total, events) VALUES ($1, $2, 1)
         ON CONFLICT (stream_id) DO UPDATE SET total = t.total + excluded.total, events = t.events + 1`,
        [event.streamId, event.data.n],
      );
    })
    .onReset(async ({ transaction, version }) => {
      await transaction.query(`DROP TABLE IF EXISTS ${totalsTable(schema, version)}`);
      await createTotals(transaction, schema, version);
    })
    .onActivate(async ({ transaction, version, previousVersion }) => {
      // Readers query the view: repointed and the old table dropped in the switch transaction.
      await transaction.query(
        `CREATE OR REPLACE VIEW ${schema}.totals AS SELECT * FROM ${totalsTable(schema, version)}`,
      );
      await transaction.query(`DROP TABLE ${totalsTable(schema, previousVersion)}`);
    });
}

async function readTotals(schema: string, version: number): Promise<Map<string, [number, number]>> {
  const { rows } = await pool.query<{ stream_id: string; total: string; events: string }>(
    `SELECT stream_id, total, events FROM ${totalsTable(schema, version)}`,
  );
  return new Map(rows.map((row) => [row.stream_id, [Number(row.total), Number(row.events)]]));
}

async function replay(storage: PostgresStorage<pg.PoolClient>): Promise<Map<string, [number, number]>> {
  const totals = new Map<string, [number, number]>();
  for (const event of await storage.readAll({ after: 0, limit: 1_000_000 })) {
    const [total, events] = totals.get(event.streamId) ?? [0, 0];
    totals.set(event.streamId, [total + (event.data as { n: number }).n, events + 1]);
  }
  return totals;
}

describe('inline projections on PostgreSQL', () => {
  it('write a read-model table with the pg client inside the append transaction: all or nothing', async () => {
    const storage = await openStorage();
    await createTotals(pool, storage.schema, 1);
    const store = createEventStore({
      storage,
      events: [Counter],
      inline: [totalsProjection(storage.schema)],
    });
    await store.append('c-1', [{ type: 'Added', data: { n: 5 } }], { streamType: 'Counter' });
    await store.append('c-1', [{ type: 'Added', data: { n: 7 } }], { streamType: 'Counter' });
    expect(await readTotals(storage.schema, 1)).toEqual(new Map([['c-1', [12, 2]]]));

    // The second event's handler throws: the first event's row change and both events roll back.
    await expect(
      store.append(
        'c-1',
        [
          { type: 'Added', data: { n: 100 } },
          { type: 'Added', data: { n: -1 } },
        ],
        { streamType: 'Counter' },
      ),
    ).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
    expect(await readTotals(storage.schema, 1)).toEqual(new Map([['c-1', [12, 2]]]));
    expect((await storage.streamInfo('c-1'))?.version).toBe(2);
  });

  it('work with Drizzle over transaction.client, atomically with the events', async () => {
    const storage = await openStorage();
    const schema = storage.schema;
    await pool.query(`CREATE TABLE ${schema}.counts (stream_id text PRIMARY KEY, n int8 NOT NULL)`);
    const Counts = defineProjection('counts', { from: [Counter] })
      .withTransaction<Tx>()
      .on('Added', async (event, { transaction }) => {
        const db = drizzle(transaction.client);
        await db.execute(
          sql`INSERT INTO ${sql.raw(`${schema}.counts`)} (stream_id, n) VALUES (${event.streamId}, ${event.data.n})
              ON CONFLICT (stream_id) DO UPDATE SET n = ${sql.raw(`${schema}.counts`)}.n + excluded.n`,
        );
        if (event.data.n === 13) throw new Error('unlucky');
      });
    const store = createEventStore({ storage, events: [Counter], inline: [Counts] });
    await store.append('c-1', [{ type: 'Added', data: { n: 2 } }], { streamType: 'Counter' });
    await expect(
      store.append('c-1', [{ type: 'Added', data: { n: 13 } }], { streamType: 'Counter' }),
    ).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
    const { rows } = await pool.query(`SELECT stream_id, n::int AS n FROM ${schema}.counts`);
    expect(rows).toEqual([{ stream_id: 'c-1', n: 2 }]);
    expect(await storage.headPosition()).toBe((await storage.readAll({ after: 0, limit: 10 }))[0]?.position);
  });
});

describe('rebuilding an inline projection beside the live version on PostgreSQL', () => {
  it('fills a shadow table while appends go on, switches atomically, misses and repeats nothing; cancel resumes', async () => {
    const storage = await openStorage();
    const schema = storage.schema;
    await createTotals(pool, schema, 1);
    await pool.query(`CREATE VIEW ${schema}.totals AS SELECT * FROM ${totalsTable(schema, 1)}`);
    const Totals = totalsProjection(schema);
    const store = createEventStore({ storage, events: [Counter], inline: [Totals] });
    for (let n = 0; n < 200; n += 1) {
      await store.append(`c-${n % 5}`, [{ type: 'Added', data: { n } }], { streamType: 'Counter' });
    }

    // Cancelled after some progress: the live version stays, the shadow keeps its checkpoint.
    const controller = new AbortController();
    await expect(
      createProjectionRunner(store, Totals).rebuild({
        batchSize: 10,
        signal: controller.signal,
        onProgress: ({ events }) => {
          if (events === 50) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CONSUMER_STOPPED' });
    const stoppedAt = (await storage.loadCheckpoint('projection:totals@2')) ?? 0;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(await readTotals(schema, 1)).toEqual(await replay(storage));

    // Resumed while 8 writers append and a reader keeps reading the live version.
    let writing = true;
    let readerChecks = 0;
    const writers = Array.from({ length: 8 }, async (_, writer) => {
      for (let n = 0; writing || n < 20; n += 1) {
        await store.append(`w-${writer}`, [{ type: 'Added', data: { n } }], { streamType: 'Counter' });
      }
    });
    const reader = (async () => {
      while (writing) {
        // The live version is there to read at every moment, before, during and after the switch.
        const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.totals`);
        expect(rows[0]?.n).toBeGreaterThan(0);
        readerChecks += 1;
        await sleep(2);
      }
    })();
    const result = await createProjectionRunner(store, Totals).rebuild({ batchSize: 10 });
    writing = false;
    await Promise.all([...writers, reader]);
    expect(result).toMatchObject({ version: 2, previousVersion: 1, resumed: true });
    expect(readerChecks).toBeGreaterThan(0);
    // Events appended before, during and after the switch: each in version 2 exactly once.
    expect(await readTotals(schema, 2)).toEqual(await replay(storage));
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'totals_v1'`,
      [schema],
    );
    expect(rows).toEqual([{ n: 0 }]);
  }, 30_000);
});

describe('async consumers through a database outage on PostgreSQL', () => {
  it('retry while their connections are killed, reconnect LISTEN and resume by themselves', async () => {
    const application = `hs-outage-${Math.random().toString(36).slice(2, 10)}`;
    const consumerPool = createTestPool(6);
    consumerPool.options.application_name = application;
    consumerPool.on('error', () => undefined);
    const schema = uniqueSchema('hs_outage');
    schemas.push(schema);
    const writerStorage = createPostgresStorage({ client: pool, schema });
    await writerStorage.migrate();
    opened.push(writerStorage);
    const consumerStorage = createPostgresStorage({ client: consumerPool, schema });
    await createTotals(pool, schema, 1);
    const writer = createEventStore({ storage: writerStorage, events: [Counter] });
    const runner = createProjectionRunner(
      createEventStore({ storage: consumerStorage, events: [Counter] }),
      totalsProjection(schema),
      // A long poll: only NOTIFY (re-listened after the kill) can wake it quickly.
      { pollIntervalMs: 60_000, retry: { attempts: 2, initialDelayMs: 20, maxDelayMs: 200 } },
    );
    const terminate = async (): Promise<number> => {
      const { rows } = await pool.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [application],
      );
      return rows.length;
    };
    try {
      await runner.start();
      for (let n = 0; n < 10; n += 1)
        await writer.append('c-1', [{ type: 'Added', data: { n } }], { streamType: 'Counter' });
      await runner.waitUntilCaughtUp();

      // Kill every connection of the consumer's pool several times while events keep coming.
      let killedConnections = 0;
      for (let round = 0; round < 3; round += 1) {
        killedConnections += await terminate();
        for (let n = 0; n < 5; n += 1)
          await writer.append('c-2', [{ type: 'Added', data: { n } }], { streamType: 'Counter' });
        await sleep(50);
      }
      expect(killedConnections).toBeGreaterThan(0);
      const head = await writerStorage.headPosition();
      await waitFor(async () => (await writerStorage.loadCheckpoint('projection:totals@1')) === head, 15_000);
      const status = await runner.status();
      expect(status.state).toBe('running');
      expect(status.lease).toMatchObject({ held: true });

      // LISTEN came back: a new event is handled long before the 60 s poll.
      await sleep(300);
      await writer.append('c-3', [{ type: 'Added', data: { n: 1 } }], { streamType: 'Counter' });
      const last = await writerStorage.headPosition();
      await waitFor(async () => (await writerStorage.loadCheckpoint('projection:totals@1')) === last, 5_000);
      expect(await readTotals(schema, 1)).toEqual(await replay(writerStorage));
    } finally {
      await runner.stop();
      await consumerStorage.close();
      await consumerPool.end();
    }
  }, 40_000);
});
