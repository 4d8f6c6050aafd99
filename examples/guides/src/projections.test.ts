import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import {
  activeProjectionVersion,
  createEventStore,
  createProjectionRunner,
  createRepository,
  rebuildProjection,
} from '@hindsight/core';
import { createPostgresStorage } from '@hindsight/postgres';
import { createSqliteStorage } from '@hindsight/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { Account } from './bank.js';
import { definePostgresBalances, defineSqliteBalances, projectionsTour } from './projections.js';

describe('guide: projections', () => {
  const folder = mkdtempSync(join(tmpdir(), 'hindsight-guide-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('runs inline and async, and rebuilds both', async () => {
    const lines: string[] = [];
    await projectionsTour((line) => lines.push(line));
    expect(lines).toEqual([
      'inline: 40',
      'rebuilt inline balances: v1 → v2',
      'inline after the rebuild: 40',
      'async: 40 (running at 2/2)',
      'filling v2: 2/2',
      'filling v2: 2/2',
      'rebuilt to v2, readers use v2',
      'async after the rebuild: 40',
      'v1 retired at 2, lag none',
      'v2 live at 2, lag 0',
      'pruned v1: checkpoint true, read model true',
      'v1 after pruning: gone',
    ]);
  });

  it('keeps the SQLite read model in the append transaction and rebuilds it into a new table', async () => {
    const storage = createSqliteStorage({ path: join(folder, 'projections.db') });
    const SqliteBalances = defineSqliteBalances();
    const store = createEventStore({ storage, events: [Account], inline: [SqliteBalances] });
    const accounts = createRepository(store, Account);
    await accounts.execute('a', (account) => account.open({ owner: 'Ada' }).deposit({ amount: 30 }));
    await accounts.execute('a', 'withdraw', { amount: 10 });
    const read = async () => {
      const version = await activeProjectionVersion(store, SqliteBalances);
      return storage.db
        .prepare(`SELECT balance FROM balances_v${version} WHERE account = ?`)
        .pluck()
        .get('Account-a');
    };
    expect(await read()).toBe(20);
    await expect(accounts.execute('a', 'withdraw', { amount: 50 })).rejects.toThrow(/INSUFFICIENT|Balance/);
    expect((await rebuildProjection(store, SqliteBalances)).version).toBe(2);
    expect(await read()).toBe(20);
    const tables = storage.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'balances_v%'")
      .pluck()
      .all();
    expect(tables).toEqual(['balances_v2']);
    await store.close();
  });

  it('runs the PostgreSQL read model on PGlite, async, and rebuilds it', async () => {
    const db = new PGlite();
    const storage = createPostgresStorage({ client: db });
    await storage.migrate();
    const PostgresBalances = definePostgresBalances();
    const store = createEventStore({ storage, events: [Account] });
    const accounts = createRepository(store, Account);
    const runner = createProjectionRunner(store, PostgresBalances);
    await runner.start();
    await accounts.execute('b', (account) => account.open({ owner: 'Bo' }).deposit({ amount: 12 }));
    await accounts.execute('b', 'withdraw', { amount: 2 });
    await runner.waitUntilCaughtUp();
    const read = async () => {
      const version = await runner.activeVersion();
      const { rows } = await db.query<{ balance: number }>(`SELECT balance FROM balances_v${version}`);
      return rows.map((row) => row.balance);
    };
    expect(await read()).toEqual([10]);
    expect((await runner.rebuild()).version).toBe(2);
    expect(await read()).toEqual([10]);
    await runner.stop();
    await store.close();
    await db.close();
  }, 60_000);
});
