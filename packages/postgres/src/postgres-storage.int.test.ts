import { PGlite } from '@electric-sql/pglite';
import {
  type AppendRequest,
  type ExpectedVersion,
  isHindsightError,
  type PreparedEvent,
  partitionOf,
} from '@hindsight/core';
import { storageConformanceCases } from '@hindsight/core/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { listStreamsParams, listStreamsStatement } from './admin/list-streams.js';
import { listDocumentsCall, listDocumentsStatements } from './documents/list-documents.js';
import { quoteIdentifier } from './internal/identifiers.js';
import { createPostgresStorage, type PostgresStorage } from './postgres-storage.js';
import type { PostgresTransaction } from './postgres-transaction.js';
import { readAllCall, readAllStatements } from './streams/read-all.js';
import { readStreamParams, readStreamStatements } from './streams/read-stream.js';
import {
  createTestPool,
  driversToRun,
  dropSchema,
  serverLeftOut,
  sleep,
  uniqueSchema,
  waitFor,
} from './test-helpers.js';

describe.skipIf(serverLeftOut)('PostgreSQL storage: core conformance', () => {
  const pool = createTestPool();
  const schemas: string[] = [];

  afterEach(async () => {
    for (const schema of schemas.splice(0)) await dropSchema(pool, schema);
  });
  afterAll(() => pool.end());

  const cases = storageConformanceCases({
    create: async () => {
      const schema = uniqueSchema();
      schemas.push(schema);
      const storage = createPostgresStorage({ client: pool, schema });
      await storage.migrate();
      return storage;
    },
  });
  for (const testCase of cases) it(testCase.name, (context) => testCase.run(context));
});

function prepared(type = 'Happened', data: unknown = { type }): PreparedEvent {
  return { eventId: globalThis.crypto.randomUUID(), type, data, metadata: {} };
}

function request(streamId: string, expectedVersion: ExpectedVersion, count = 1): AppendRequest {
  return {
    streamId,
    streamType: 'Thing',
    expectedVersion,
    events: Array.from({ length: count }, () => prepared()),
  };
}

/** A migrated storage in a schema of its own, a way to run SQL beside it, and how to drop it. */
type OpenStorage = () => Promise<{
  storage: PostgresStorage<unknown>;
  table: (name: string) => string;
  query: (text: string) => Promise<unknown>;
  drop: () => Promise<void>;
}>;

const drivers: Record<string, OpenStorage> = {
  PostgreSQL: async () => {
    const pool = createTestPool();
    const schema = uniqueSchema();
    const storage = createPostgresStorage({ client: pool, schema });
    await storage.migrate();
    return {
      storage,
      table: (name) => `${quoteIdentifier(schema)}.${name}`,
      query: (text) => pool.query(text),
      drop: async () => {
        await storage.close();
        await dropSchema(pool, schema);
        await pool.end();
      },
    };
  },
  PGlite: async () => {
    const db = new PGlite();
    const schema = uniqueSchema();
    const storage = createPostgresStorage({ client: db, schema });
    await storage.migrate();
    return {
      storage,
      table: (name) => `${quoteIdentifier(schema)}.${name}`,
      query: (text) => db.exec(text),
      drop: async () => {
        await storage.close();
        await db.close();
      },
    };
  },
};

describe.each(driversToRun(drivers))('storage behaviour on %s', (_name, open) => {
  let storage: PostgresStorage<unknown>;
  let table: (name: string) => string;
  let query: (text: string) => Promise<unknown>;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ storage, table, query, drop } = await open());
  });
  afterAll(() => drop());

  it("reports a read model's own unique violation as the hook's error, writing nothing", async () => {
    await query(`CREATE TABLE ${table('emails')} (email text PRIMARY KEY)`);
    await query(`INSERT INTO ${table('emails')} VALUES ('a@example.com')`);
    const head = await storage.headPosition();
    const attempt = storage.append(request('user-1', 'no_stream'), async (tx) => {
      await tx.query(`INSERT INTO ${table('emails')} VALUES ('a@example.com')`);
    });
    await expect(attempt).rejects.toMatchObject({ code: '23505' });
    expect(await storage.streamInfo('user-1')).toBeUndefined();
    expect(await storage.headPosition()).toBe(head);
  });

  it('lets exactly one of many racing hooked appends win, the others conflicting', async () => {
    await storage.append(request('hooked-race', 'no_stream'));
    const attempts = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        storage.append(request('hooked-race', 1, 2), async () => {
          await sleep(2);
        }),
      ),
    );
    expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1);
    for (const attempt of attempts) {
      if (attempt.status === 'rejected') {
        expect(isHindsightError(attempt.reason, 'CONCURRENCY_CONFLICT')).toBe(true);
        expect(attempt.reason).toMatchObject({ actualVersion: 3, expectedVersion: 1 });
      }
    }
  });

  it('stores concurrent identical retries once; all of them get the stored result', async () => {
    const original = request('retried', 'no_stream', 3);
    const results = await Promise.all(Array.from({ length: 8 }, () => storage.append(original)));
    expect(results.filter((result) => !result.alreadyStored)).toHaveLength(1);
    for (const result of results) expect(result.events).toEqual(results[0]?.events);
    expect((await storage.streamInfo('retried'))?.version).toBe(3);
  });

  it('accepts upper-case event ids and returns them as reads do', async () => {
    const event = { ...prepared(), eventId: globalThis.crypto.randomUUID().toUpperCase() };
    const result = await storage.append({ ...request('upper', 'no_stream'), events: [event] });
    const retry = await storage.append({ ...request('upper', 'no_stream'), events: [event] });
    const [read] = await storage.readStream('upper', { direction: 'forward', limit: 1 });
    expect(result.events[0]).toEqual(read);
    expect(retry.alreadyStored).toBe(true);
  });

  it('loses nothing on bad input: a batch PostgreSQL refuses writes nothing, later appends continue', async () => {
    const head = await storage.headPosition();
    await storage.append(request('bad-input', 'no_stream'));
    // jsonb cannot hold U+0000 or lone surrogates; the database refuses the whole batch.
    const bad = {
      ...request('bad-input', 1, 2),
      events: [prepared(), prepared('Bad', { list: ['ok', 'a\u0000b'] })],
    };
    await expect(storage.append(bad)).rejects.toMatchObject({
      code: 'PAYLOAD_NOT_SERIALIZABLE',
      eventType: 'Bad',
      path: 'list.1',
    });
    const surrogate = { ...prepared(), metadata: { note: '\ud800' } };
    await expect(
      storage.append({ ...request('bad-new', 'no_stream'), events: [surrogate] }, async () => undefined),
    ).rejects.toMatchObject({ code: 'PAYLOAD_NOT_SERIALIZABLE', path: 'metadata.note' });
    expect((await storage.streamInfo('bad-input'))?.version).toBe(1);
    expect(await storage.streamInfo('bad-new')).toBeUndefined();
    expect(await storage.headPosition()).toBe(head + 1);
    const next = await storage.append(request('bad-input', 1));
    // The refused batches took positions before PostgreSQL refused them: they leave holes.
    expect(next.version).toBe(2);
    expect(next.position).toBeGreaterThan(head + 1);
    expect(await storage.headPosition()).toBe(next.position);
  });

  it('decides one-event appends (their own statements) as it decides longer ones, for every expected version and stream state', async () => {
    const states = ['none', 'open', 'other type', 'closed', 'archived id'] as const;
    const expectations: ExpectedVersion[] = ['any', 'no_stream', 'stream_exists', 0, 2, 3];
    const outcomes: Record<string, string> = {};
    for (const state of states) {
      for (const expected of expectations) {
        for (const count of [1, 2]) {
          const streamId = `decide-${state}-${expected}-${count}`;
          if (state !== 'none' && state !== 'archived id') {
            const type = state === 'other type' ? 'Other' : 'Thing';
            await storage.append({ ...request(streamId, 'no_stream', 2), streamType: type });
          }
          if (state === 'closed')
            await storage.lifecycle?.close(streamId, { reason: 'test', at: new Date() });
          let append = request(streamId, expected, count);
          if (state === 'archived id') {
            const source = request(`${streamId}-source`, 'no_stream');
            await storage.append(source);
            await storage.append(request(`${streamId}-source`, 1));
            await storage.lifecycle?.archive(`${streamId}-source`, 1);
            append = { ...append, events: [...source.events, ...append.events.slice(1)] };
          }
          const outcome = await storage.append(append).then(
            (result) => `appended up to ${result.version - count}+${count}`,
            (error: { code?: string }) => `refused: ${error.code}`,
          );
          outcomes[`${state} / ${expected} / ${count}`] = outcome.replace(`+${count}`, '');
        }
        const [one, two] = [1, 2].map((count) => outcomes[`${state} / ${expected} / ${count}`]);
        expect({ state, expected, one }).toEqual({ state, expected, one: two });
      }
    }
    const decisions = Object.values(outcomes);
    expect(decisions.filter((outcome) => outcome.startsWith('appended')).length).toBeGreaterThan(6);
    for (const code of ['CONCURRENCY_CONFLICT', 'STREAM_CLOSED', 'EVENT_ID_CONFLICT']) {
      expect(decisions).toContain(`refused: ${code}`);
    }
  });

  it('round-trips awkward JSON through the array encoding', async () => {
    const data = {
      quotes: `"double" 'single' \`back\``,
      slashes: 'C:\\path\\to\\{x}',
      braces: '{"a":[1,{"b":"}"}]}',
      commas: 'a,b,"c"',
      unicode: 'Zoë 🚀 \u2028',
      empty: '',
      nested: [null, true, 1.5, -0.25, 1e21, { deep: ['x'] }],
    };
    const event = { ...prepared('Awkward', data), metadata: { note: 'NULL', list: ['NULL', null] } };
    const result = await storage.append({ ...request('awkward', 'no_stream'), events: [event] });
    const [read] = await storage.readStream('awkward', { direction: 'forward', limit: 1 });
    expect(read?.data).toEqual(data);
    expect(read?.metadata).toEqual(event.metadata);
    expect(result.events[0]).toEqual(read);
  });
});

describe.skipIf(serverLeftOut)('PostgreSQL storage: adapter behaviour', () => {
  const pool = createTestPool();
  const schema = uniqueSchema();
  const storage = createPostgresStorage({ client: pool, schema });
  const table = (name: string) => `${quoteIdentifier(schema)}.${name}`;

  beforeAll(async () => {
    await storage.migrate();
  });
  afterAll(async () => {
    await storage.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('appends in one round trip: one named statement, no BEGIN/COMMIT; the NOTIFY follows the commit', async () => {
    const query = vi.spyOn(pool, 'query');
    const connect = vi.spyOn(pool, 'connect');
    try {
      await storage.append(request('one-trip', 'no_stream', 3));
      const configs = query.mock.calls.map((call) => call[0] as unknown as { name?: string; text: string });
      const [append, ...afterCommit] = configs;
      expect(append?.name).toMatch(/^hindsight_append_[0-9a-f]{8}$/);
      expect(append?.text).toContain('.append_events(');
      // Announcing the head to other processes is its own statement, which the append does not await.
      expect(afterCommit.map((config) => config.name)).toEqual([
        expect.stringMatching(/^hindsight_notify_appended_/),
      ]);
      // pg's pool.query checks a connection out internally, once per statement; the storage never does.
      expect(connect.mock.calls.length).toBeLessThanOrEqual(configs.length);
    } finally {
      query.mockRestore();
      connect.mockRestore();
    }
  });

  it('sends a one-event append as a plain statement that PostgreSQL stops planning after a few runs', async () => {
    const single = createTestPool(1);
    const own = createPostgresStorage({ client: single, schema, coalesceAppends: false });
    try {
      for (let index = 0; index < 12; index += 1) {
        await own.append(request(`plain-new-${index}`, 'no_stream'));
        await own.append(request(`plain-new-${index}`, 1));
        await own.append(request(`plain-new-${index}`, 'stream_exists'));
        await own.append(request(`plain-new-${index}`, 'any'));
        expect((await own.streamInfo(`plain-new-${index}`))?.version).toBe(4);
      }
      const { rows } = await single.query<{ name: string; generic: number; custom: number }>(
        `SELECT name, generic_plans::int AS generic, custom_plans::int AS custom
         FROM pg_prepared_statements WHERE name LIKE 'hindsight_append_one_%' ORDER BY name`,
      );
      expect(rows.map((row) => row.name.replace(/_[0-9a-f]{8}$/, ''))).toEqual([
        'hindsight_append_one_any',
        'hindsight_append_one_bump',
        'hindsight_append_one_create',
      ]);
      // PostgreSQL plans the first five runs for their parameters, then keeps a generic plan
      // when it is no dearer: planning every append would cost as much as running it.
      for (const row of rows) {
        expect(row.custom, row.name).toBeLessThanOrEqual(5);
        expect(row.generic, row.name).toBeGreaterThan(0);
      }
    } finally {
      await own.close();
      await single.end();
    }
  });

  it('prepares its statements once per connection', async () => {
    const single = createTestPool(1);
    try {
      const mine = createPostgresStorage({ client: single, schema });
      await mine.append(request('prepared-1', 'no_stream'));
      await mine.append(request('prepared-2', 'no_stream'));
      const { rows } = await single.query<{ name: string }>(
        "SELECT name FROM pg_prepared_statements WHERE name LIKE 'hindsight_append_%'",
      );
      expect(rows).toHaveLength(1);
      await mine.close();
    } finally {
      await single.end();
    }
  });

  it('prepares nothing with prepareStatements: false (for poolers in transaction mode)', async () => {
    const single = createTestPool(1);
    try {
      const mine = createPostgresStorage({ client: single, schema, prepareStatements: false });
      await mine.append(request('unprepared', 'no_stream'));
      expect(await mine.readStream('unprepared', { direction: 'forward', limit: 1 })).toHaveLength(1);
      const { rows } = await single.query(
        "SELECT name FROM pg_prepared_statements WHERE name LIKE 'hindsight_%'",
      );
      expect(rows).toEqual([]);
      await mine.close();
    } finally {
      await single.end();
    }
  });

  it("does not depend on (or change) pg's process-wide type parsers", async () => {
    const garbage = () => 'garbage';
    const oids = [20, 23, 114, 1184, 3802];
    const originals = oids.map((oid) => pg.types.getTypeParser(oid));
    for (const oid of oids) pg.types.setTypeParser(oid, garbage);
    try {
      const result = await storage.append(request('parsers', 'no_stream', 2));
      const read = await storage.readStream('parsers', { direction: 'forward', limit: 10 });
      expect(read).toEqual(result.events);
      expect(typeof read[0]?.position).toBe('number');
      expect(read[0]?.timestamp).toBeInstanceOf(Date);
      expect(await storage.headPosition()).toBeGreaterThanOrEqual(result.position);
      expect(pg.types.getTypeParser(20)).toBe(garbage);
    } finally {
      for (const [index, oid] of oids.entries())
        pg.types.setTypeParser(oid, originals[index] as typeof garbage);
    }
  });

  it('gives transaction hooks the pool client, committing their writes with the events', async () => {
    await pool.query(`CREATE TABLE ${table('order_totals')} (id text PRIMARY KEY, total int NOT NULL)`);
    const result = await storage.append(request('order-1', 'no_stream'), async (tx, events) => {
      expect(tx.client).toBeInstanceOf(pg.Client);
      await tx.query(`INSERT INTO ${table('order_totals')} (id, total) VALUES ($1, $2)`, [
        events[0]?.streamId,
        10,
      ]);
      // The transaction sees its own, uncommitted events.
      const { rows } = await tx.query<{ count: string }>(
        `SELECT count(*) FROM ${table('events')} WHERE stream_id = $1`,
        ['order-1'],
      );
      expect(rows[0]?.count).toBe('1');
    });
    const { rows } = await pool.query(`SELECT total FROM ${table('order_totals')} WHERE id = 'order-1'`);
    expect(rows).toEqual([{ total: 10 }]);
    expect(result.version).toBe(1);
  });

  it('serves stream, stream list and document reads from an index, in the generic plans their statements settle on', async () => {
    const quoted = quoteIdentifier(schema);
    const stream = readStreamStatements(quoted);
    const documents = listDocumentsStatements(quoted);
    const reads = [
      ['listStreams', listStreamsStatement(quoted), listStreamsParams({ after: 'a', limit: 10 })],
      [
        'listStreams of a type',
        listStreamsStatement(quoted),
        listStreamsParams({ streamType: 'Thing', limit: 10 }),
      ],
      ['readStream forward', stream.forward, readStreamParams('s', { direction: 'forward', limit: 10 })],
      ['readStream backward', stream.backward, readStreamParams('s', { direction: 'backward', limit: 10 })],
      ['listDocuments', documents.open, listDocumentsCall(documents, 'c', { after: 'a', limit: 10 }).params],
      [
        'listDocuments up to',
        documents.bounded,
        listDocumentsCall(documents, 'c', { after: 'a', upTo: 'z', limit: 10 }).params,
      ],
    ] as const;
    const client = await pool.connect();
    try {
      // With sequential scans priced out, a Seq Scan in the plan means no index can serve the read.
      await client.query('SET enable_seqscan = off');
      await client.query('SET plan_cache_mode = force_generic_plan');
      for (const [label, statement, params] of reads) {
        await client.query(`PREPARE explained AS ${statement.text}`);
        const literals = params.map((param) =>
          param === null ? 'NULL' : `'${String(param).replaceAll("'", "''")}'`,
        );
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN EXECUTE explained(${literals.join(', ')})`,
        );
        await client.query('DEALLOCATE explained');
        const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
        expect(plan, label).toMatch(/Index (Only )?Scan/);
        expect(plan, label).not.toMatch(/Seq Scan/);
        // Pages come in index order: a sort would read the whole table for each page. (A Merge
        // Append of the hot and archived events has a "Sort Key" but merges index walks.)
        expect(plan, label).not.toMatch(/Sort {2}\(/);
      }
    } finally {
      await client.query('RESET ALL');
      client.release();
    }
  });

  it('reads a page of the global log by touching about that many rows, even without table statistics', async () => {
    // Statistics stay empty here (no ANALYZE, autovacuum may be off): the case where PostgreSQL
    // would otherwise scan everything after the position and sort it, for every page.
    const pageStorage = createPostgresStorage({ client: pool, schema: uniqueSchema('hs_pages') });
    await pageStorage.migrate();
    const many = (type: string, count: number): PreparedEvent[] =>
      Array.from({ length: count }, () => prepared(type));
    await pageStorage.append({
      streamId: 'many',
      streamType: 'Thing',
      expectedVersion: 'any',
      events: many('A', 3_000),
    });
    await pageStorage.append({
      streamId: 'many',
      streamType: 'Thing',
      expectedVersion: 'any',
      events: many('B', 1_000),
    });
    const quoted = quoteIdentifier(pageStorage.schema);
    const all = readAllStatements(quoted);
    const page = { after: 100, limit: 10 };
    const mine = { index: partitionOf('many', 4), count: 4 };
    const reads = [
      ['readAll', readAllCall(all, page)],
      ['readAll by type', readAllCall(all, { ...page, types: ['A', 'B'] })],
      ['readAll by stream type', readAllCall(all, { ...page, streamTypes: ['Thing'] })],
      ['readAll by both', readAllCall(all, { ...page, types: ['B'], streamTypes: ['Thing'] })],
      // The stream's own partition: another's would walk the whole range and find nothing.
      ['readAll of a partition', readAllCall(all, { ...page, partition: mine })],
      ['readAll of a partition by type', readAllCall(all, { ...page, partition: mine, types: ['A', 'B'] })],
      [
        'readAll of a partition by stream type',
        readAllCall(all, { ...page, partition: mine, streamTypes: ['Thing'] }),
      ],
    ] as const;
    const client = await pool.connect();
    try {
      // Counters of rows fetched or scanned in the event table by this session, not yet flushed.
      const touched = async (): Promise<number> => {
        const { rows } = await client.query<{ rows: string }>(
          `SELECT (coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0))::text AS rows
           FROM pg_stat_xact_user_tables WHERE relid = '${quoted}.events'::regclass`,
        );
        return Number(rows[0]?.rows ?? 0);
      };
      for (const [label, { statement, params }] of reads) {
        const before = await touched();
        const { rows } = await client.query(statement.text, params as unknown[]);
        expect(rows, label).toHaveLength(10);
        // One index range per filter value, each stopping at the page's 10 rows.
        expect((await touched()) - before, label).toBeLessThanOrEqual(20);
      }
    } finally {
      client.release();
      await pageStorage.close();
      await dropSchema(pool, pageStorage.schema);
    }
  });

  it('close() leaves the pool open; the closed storage refuses work', async () => {
    const other = createPostgresStorage({ client: pool, schema });
    const stop = other.onAppended(() => undefined);
    stop();
    await other.close();
    await other.close();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await expect(other.headPosition()).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    await expect(other.append(request('closed', 'any'))).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it('works in a schema with a hostile name', async () => {
    const hostile = `we"ird; DROP SCHEMA public; --${uniqueSchema('')}`;
    const weird = createPostgresStorage({ client: pool, schema: hostile });
    try {
      await weird.migrate();
      const heads: number[] = [];
      const stop = weird.onAppended((head) => heads.push(head));
      const result = await weird.append(request('s', 'no_stream', 2));
      expect(await weird.readAll({ after: 0, limit: 10 })).toEqual(result.events);
      await waitFor(() => heads.includes(result.position));
      stop();
    } finally {
      await weird.close();
      await dropSchema(pool, hostile);
    }
  });

  it('refuses schema names PostgreSQL would truncate, and clients it does not know', () => {
    expect(() => createPostgresStorage({ client: pool, schema: 'x'.repeat(60) })).toThrow(/schema/);
    expect(() => createPostgresStorage({ client: pool, schema: '' })).toThrow(/schema/);
    expect(() => createPostgresStorage({ client: {} as pg.Pool })).toThrow(/pg Pool or a PGlite/);
  });
});

describe.skipIf(serverLeftOut)('PostgreSQL storage: a connection lost inside a transaction', () => {
  const pool = createTestPool(4);
  const schema = uniqueSchema();
  const storage = createPostgresStorage({ client: pool, schema });
  const killed = 'SELECT pg_terminate_backend(pg_backend_pid())';

  beforeAll(async () => {
    await storage.migrate();
  });
  afterAll(async () => {
    await storage.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  type Kill = (tx: PostgresTransaction<pg.PoolClient>) => Promise<unknown>;
  it.each<[string, Kill]>([
    ['tx.query', (tx) => tx.query(killed)],
    ['the driver client (as query builders use it)', (tx) => tx.client.query(killed)],
  ])('surfaces as a retryable STORAGE_UNAVAILABLE through %s, writing nothing', async (_label, kill) => {
    const streamId = uniqueSchema('killed');
    const failure = await storage
      .append(request(streamId, 'no_stream'), async (tx) => void (await kill(tx)))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isHindsightError(failure, 'STORAGE_UNAVAILABLE')).toBe(true);
    expect(failure).toMatchObject({ retryable: true });
    expect(await storage.streamInfo(streamId)).toBeUndefined();
    const inTransaction = await storage
      .transaction((tx) => kill(tx))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isHindsightError(inTransaction, 'STORAGE_UNAVAILABLE')).toBe(true);
  });

  it('says the schema needs migrate() when its own tables or functions are missing', async () => {
    const unmigrated = createPostgresStorage({ client: pool, schema: uniqueSchema('hs_unmigrated') });
    for (const operation of [
      () => unmigrated.append(request('s', 'any')),
      () => unmigrated.headPosition(),
      () => unmigrated.readAll({ after: 0, limit: 10 }),
    ]) {
      await expect(operation()).rejects.toMatchObject({
        code: 'SCHEMA_NOT_MIGRATED',
        message: expect.stringContaining('run migrate()'),
      });
    }
    await unmigrated.close();
  });

  it('leaves errors of a healthy transaction as they are', async () => {
    await expect(storage.transaction((tx) => tx.query('SELECT * FROM missing_table'))).rejects.toMatchObject({
      code: '42P01',
    });
  });
});

describe('PostgreSQL storage: unreachable server', () => {
  it('fails with a retryable STORAGE_UNAVAILABLE', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const dead = new pg.Pool({ host: '127.0.0.1', port: 1, user: 'postgres', database: 'test' });
    const storage = createPostgresStorage({ client: dead });
    try {
      for (const operation of [
        () => storage.headPosition(),
        () => storage.append(request('s', 'any')),
        () => storage.transaction(async () => undefined),
        () => storage.migrate(),
      ]) {
        const error = await operation().then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(isHindsightError(error, 'STORAGE_UNAVAILABLE')).toBe(true);
        expect(error).toMatchObject({ retryable: true });
        expect((error as Error).cause).toBeDefined();
      }
    } finally {
      await storage.close();
      await dead.end();
    }
  });
});
