import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createPostgresStorage } from '@hindsight/postgres';
import { createSqliteStorage } from '@hindsight/sqlite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Captured,
  cli,
  configModule,
  ndjson,
  type Seeded,
  seed,
  temporaryFolder,
  waitFor,
} from './test-support/cli-harness.js';

// Fails, never skips, when the server is unreachable: the first command reports it.
const url = process.env.HINDSIGHT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `hs_cli_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const imported = `${schema}_copy`;
const pool = new pg.Pool({ connectionString: url, max: 2 });
const folder = temporaryFolder();
let seeded: Seeded;
const store = (target = schema): string[] => ['--url', url, '--schema', target];

beforeAll(async () => {
  const migrated = await cli(['migrate', ...store(), '--json']);
  expect(migrated.stderr).toContain(`schema "${schema}"`);
  expect(migrated.code).toBe(0);
  const result = JSON.parse(migrated.stdout);
  expect(result).toMatchObject({ store: 'postgres', applied: expect.arrayContaining([1, 2]) });
  expect(result.schemaVersion).toBe(result.applied.at(-1));
  const storage = createPostgresStorage({ client: pool, schema });
  seeded = await seed(storage);
  await storage.close();
});

afterAll(async () => {
  for (const name of [schema, imported]) await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  await pool.end();
  folder.remove();
});

describe('the CLI on PostgreSQL', () => {
  it('selects PostgreSQL by --url or HINDSIGHT_DATABASE_URL, masking the password', async () => {
    const byEnv = await cli(['migrate'], {
      env: { HINDSIGHT_DATABASE_URL: url, HINDSIGHT_PG_SCHEMA: schema, HINDSIGHT_SQLITE_PATH: 'ignored.db' },
    });
    expect(byEnv.code).toBe(0);
    expect(byEnv.stdout).toMatch(/^Already at schema version \d+: nothing to do\./);
    expect(byEnv.stderr).toContain(`hindsight: PostgreSQL postgres://`);
    const masked = await cli(['info', '--url', 'postgres://someone:secret@127.0.0.1:1/test']);
    expect(masked.code).toBe(1);
    expect(masked.stderr).toContain('cannot use PostgreSQL postgres://someone:***@127.0.0.1:1/test');
    expect(masked.stderr).not.toContain('secret');
  });

  it('says what to create when the database or the role does not exist', async () => {
    const noDatabase = new URL(url);
    noDatabase.pathname = '/hs_cli_no_such_database';
    const migrated = await cli(['migrate', '--url', noDatabase.toString()]);
    expect(migrated.code).toBe(1);
    expect(migrated.stderr).toContain('[STORE_UNAVAILABLE]');
    expect(migrated.stderr).toContain('database "hs_cli_no_such_database" does not exist: create it');
    const noRole = new URL(url);
    noRole.username = 'hs_cli_no_such_role';
    const info = await cli(['info', '--url', noRole.toString()]);
    expect(info.code).toBe(1);
    expect(info.stderr).toContain('role "hs_cli_no_such_role" does not exist: create it');
  });

  it('refuses a schema without tables outside migrate and import', async () => {
    const result = await cli(['info', ...store(`${schema}_missing`)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[STORE_NOT_MIGRATED]');
    expect(result.stderr).toContain('has no Hindsight tables: create them with `hindsight migrate`');
  });

  it('shows info, streams, a stream in the past and the filtered log', async () => {
    expect(JSON.parse((await cli(['info', ...store(), '--json'])).stdout)).toMatchObject({
      store: { kind: 'postgres' },
      head: 7,
      streams: 3,
      events: 7,
      consumers: [{ consumerId: 'balances', position: 4, lag: 3 }],
    });
    const streams = ndjson((await cli(['streams', ...store(), '--type', 'Account', '--json'])).stdout);
    expect(streams).toEqual([
      { streamId: 'Account-a-1', streamType: 'Account', version: 4, status: 'open', archivedUpTo: 0 },
      { streamId: 'Account-a-2', streamType: 'Account', version: 2, status: 'open', archivedUpTo: 0 },
    ]);
    const then = await cli([
      'stream',
      'Account-a-1',
      ...store(),
      '--until',
      seeded.between.toISOString(),
      '--json',
    ]);
    expect(ndjson(then.stdout).map((event) => event.type)).toEqual(['AccountOpened', 'Deposited']);
    const table = await cli(['stream', 'Account-a-1', ...store()]);
    expect(table.stdout).toMatch(/AccountOpened\s+\{"owner":"Ada"\}\s+\{"actorId":"teller-1"\}/);
    const log = ndjson(
      (await cli(['events', ...store(), '--type', 'Deposited', '--after', '2', '--json'])).stdout,
    );
    expect(log.map((event) => event.position)).toEqual([4, 6]);
  });

  it('folds state at a version and as of an instant', async () => {
    const state = (...args: string[]) =>
      cli(['state', 'Account', 'a-1', ...store(), '--config', configModule, '--json', ...args]);
    expect(JSON.parse((await state('--at-version', '3')).stdout)).toMatchObject({
      version: 3,
      state: { status: 'open', balance: 15 },
    });
    expect(JSON.parse((await state('--as-of', seeded.between.toISOString())).stdout)).toMatchObject({
      version: 2,
      state: { balance: 10 },
    });
  });

  it('exports to a fresh schema and a SQLite file with identical events; re-importing appends nothing', async () => {
    const exported = await cli(['export', ...store()]);
    expect(exported.code).toBe(0);
    const first = await cli(['import', ...store(imported), '--json'], { stdin: exported.stdout });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ read: 7, appended: 7, alreadyStored: 0 });
    const again = await cli(['import', ...store(imported), '--json'], { stdin: exported.stdout });
    expect(JSON.parse(again.stdout)).toMatchObject({ read: 7, appended: 0, alreadyStored: 7 });
    const withoutTime = (text: string) => ndjson(text).map(({ timestamp: _, ...event }) => event);
    const copied = await cli(['export', ...store(imported)]);
    expect(withoutTime(copied.stdout)).toEqual(withoutTime(exported.stdout));

    const file = join(folder.path, 'from-postgres.db');
    expect((await cli(['import', '--file', file], { stdin: exported.stdout })).code).toBe(0);
    expect(withoutTime((await cli(['export', '--file', file])).stdout)).toEqual(withoutTime(exported.stdout));
    const sqlite = createSqliteStorage({ path: file });
    expect(await sqlite.admin.stats()).toEqual({ streams: 3, events: 7 });
    await sqlite.close();
  });

  it('--follow prints an event appended after it started', async () => {
    const controller = new AbortController();
    const stdout = new Captured();
    const head = JSON.parse((await cli(['info', ...store(), '--json'])).stdout).head as number;
    const following = cli(['events', ...store(), '--follow', '--json', '--after', String(head)], {
      stdout,
      signal: controller.signal,
    });
    // Appended once the follower has reached the head and waits (the append could otherwise be
    // read by the catch-up pass, which would not show that following works).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const storage = createPostgresStorage({ client: pool, schema });
    try {
      await storage.append({
        streamId: 'live-1',
        streamType: 'Live',
        expectedVersion: 'no_stream',
        events: [{ eventId: randomUUID(), type: 'Pinged', data: { n: 1 }, metadata: {} }],
      });
      await waitFor(() => ndjson(stdout.text).length === 1);
    } finally {
      controller.abort();
      await storage.close();
    }
    expect(await following).toMatchObject({ code: 0 });
    expect(ndjson(stdout.text)).toMatchObject([{ streamId: 'live-1', type: 'Pinged', position: head + 1 }]);
  });
});
