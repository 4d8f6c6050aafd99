import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type OpenedStorage, openStorage } from './open-storage.js';
import { runOrdersStory } from './run-orders.js';

const pgUrl = process.env.HINDSIGHT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `orders_example_${process.pid}_${Date.now()}`;
const folder = mkdtempSync(join(tmpdir(), 'hindsight-orders-'));

afterAll(async () => {
  rmSync(folder, { recursive: true, force: true });
  const pool = new pg.Pool({ connectionString: pgUrl });
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

async function tellStory(opened: OpenedStorage): Promise<string[]> {
  const lines: string[] = [];
  try {
    const { orderIds } = await runOrdersStory(opened.storage, (line) => {
      lines.push(line);
    });
    const final = await opened.storage.streamInfo(`Order-${orderIds[0]}`);
    expect(final).toMatchObject({ streamType: 'Order', version: 3 });
  } finally {
    await opened.close();
  }
  return lines;
}

describe('the orders example on every store', () => {
  it.each([
    ['the default SQLite file', { HINDSIGHT_SQLITE_PATH: join(folder, 'orders.db') }, /^SQLite file /],
    [
      'PostgreSQL by connection string',
      { HINDSIGHT_DATABASE_URL: pgUrl, HINDSIGHT_PG_SCHEMA: schema },
      /^PostgreSQL /,
    ],
    ['memory', { HINDSIGHT_STORE: 'memory' }, /^in memory$/],
  ])('runs end to end on %s', async (_label, env, description) => {
    const opened = await openStorage(env);
    expect(opened.description).toMatch(description);
    const lines = await tellStory(opened);
    expect(lines).toContain('shipped: shipped, 1 item(s), total 99.99');
    expect(lines).toContain('snapshot at version 10; load folds it plus 2 event(s)');
    // The two racing clerks: both succeed, or the item is refused once the order is paid.
    const raceWinners = lines.filter((line) => line.startsWith('ok at v')).length;
    expect(lines.filter((line) => line.startsWith('#'))).toHaveLength(30 + raceWinners);
    // Release 1's customer event, read in this release's shape on every store.
    expect(lines).toContain(
      'read by this release: CustomerRegistered {"firstName":"Ada","lastName":"King Lovelace"} (schema version 2)',
    );
  });

  it('keeps the SQLite file between runs', async () => {
    const path = join(folder, 'kept.db');
    const logged = (lines: string[]) => lines.filter((line) => line.startsWith('#')).length;
    const first = await tellStory(await openStorage({ HINDSIGHT_SQLITE_PATH: path }));
    const second = await tellStory(await openStorage({ HINDSIGHT_SQLITE_PATH: path }));
    const reopened = await openStorage({ HINDSIGHT_SQLITE_PATH: path });
    try {
      expect(await reopened.storage.headPosition()).toBe(logged(first) + logged(second));
    } finally {
      await reopened.close();
    }
  });
});
