import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { createEventStore, defineStreamType } from '@hindsight/core';
import { drizzle } from 'drizzle-orm/node-postgres';
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createPostgresStorage, migrate } from './index.js';
import { databaseUrl, serverLeftOut, uniqueSchema } from './test-helpers.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const self = readFileSync(new URL(import.meta.url), 'utf8');

/** The lines between `// #region name` and `// #endregion name` of this file, dedented. */
function region(name: string): string {
  const match = self.match(new RegExp(`// #region ${name}\\n([\\s\\S]*?)\\n\\s*// #endregion ${name}`));
  if (match?.[1] === undefined) throw new Error(`no region ${name}`);
  const lines = match[1].split('\n');
  const indent = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => line.search(/\S/)));
  return lines.map((line) => line.slice(indent)).join('\n');
}

// The snippets use the default schema and plain table names, as an application would; they run in
// a database of their own so that they cannot meet other tests' tables.
const database = uniqueSchema('hs_readme');
const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
const url = new URL(databaseUrl);
url.pathname = `/${database}`;
const DATABASE_URL = url.toString();

afterAll(async () => {
  if (!serverLeftOut) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
});

describe('README', () => {
  it.each(['usage', 'drizzle', 'close', 'pglite'])('shows the %s snippet verbatim', (name) => {
    expect(readme).toContain(region(name));
  });

  it.skipIf(serverLeftOut)('runs the usage and drizzle snippets against PostgreSQL', async () => {
    await admin.query(`CREATE DATABASE ${database}`);
    const printed: unknown[] = [];
    const print = (value: unknown) => printed.push(value);
    // #region usage
    const Account = defineStreamType('Account', { Deposited: z.object({ amount: z.number().positive() }) });

    const pool = new pg.Pool({ connectionString: DATABASE_URL });
    // The server may end idle connections (restart, idle timeout): pg reports it on the pool, and an
    // 'error' event nobody hears ends the process. The pool replaces the connection by itself.
    pool.on('error', (error) => print(`idle PostgreSQL connection lost: ${error.message}`));
    await migrate(pool); // creates or upgrades the "hindsight" schema; safe to run from every instance
    await pool.query('CREATE TABLE IF NOT EXISTS balances (account text PRIMARY KEY, total int NOT NULL)');

    const storage = createPostgresStorage({ client: pool });
    const store = createEventStore({ storage, events: [Account] });
    await store.append('acc-1', [{ type: 'Deposited', data: { amount: 50 } }], {
      streamType: 'Account',
      expectedVersion: 'no_stream',
      // Inside the append's transaction: the balance and the event commit together, or neither does.
      inTransaction: async (tx, events) => {
        for (const event of events) {
          await tx.query(
            'INSERT INTO balances VALUES ($1, $2) ON CONFLICT (account) DO UPDATE SET total = balances.total + $2',
            [event.streamId, (event.data as { amount: number }).amount],
          );
        }
      },
    });
    print((await pool.query('SELECT total FROM balances')).rows[0]); // { total: 50 }
    // #endregion usage

    // #region drizzle
    const balances = pgTable('balances', {
      account: text('account').primaryKey(),
      total: integer('total').notNull(),
    });

    await store.append('acc-2', [{ type: 'Deposited', data: { amount: 5 } }], {
      streamType: 'Account',
      inTransaction: async (tx) => {
        await drizzle(tx.client).insert(balances).values({ account: 'acc-2', total: 5 });
      },
    });
    // #endregion drizzle
    print((await pool.query('SELECT total FROM balances ORDER BY account')).rows);
    // #region close
    await store.close(); // stops listening; the pool stays open
    await pool.end(); // yours to end
    // #endregion close
    expect(printed).toEqual([{ total: 50 }, [{ total: 50 }, { total: 5 }]]);
  });

  it('runs the pglite snippet', async () => {
    // #region pglite
    const db = new PGlite(); // in memory; or new PGlite('./data') for a folder
    const storage = createPostgresStorage({ client: db }); // same SQL, same migrations
    await storage.migrate();
    // #endregion pglite
    expect(await storage.headPosition()).toBe(0);
    await storage.close();
    await db.close();
  });
});
