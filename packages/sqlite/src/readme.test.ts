import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventStore, defineStreamType } from '@hindsight/core';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSqliteStorage } from './index.js';

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

// The snippets use paths relative to the working directory, as an application would.
const workingDirectory = process.cwd();
const folder = mkdtempSync(join(tmpdir(), 'hindsight-sqlite-readme-'));
beforeAll(() => process.chdir(folder));
afterAll(() => {
  process.chdir(workingDirectory);
  rmSync(folder, { recursive: true, force: true });
});

describe('README', () => {
  it.each(['usage', 'own-database'])('shows the %s snippet verbatim', (name) => {
    expect(readme).toContain(region(name));
  });

  it('runs the usage snippet: the event and its read model commit together', async () => {
    const printed: unknown[] = [];
    const print = (value: unknown) => printed.push(value);
    // #region usage
    const Account = defineStreamType('Account', { Deposited: z.object({ amount: z.number().positive() }) });
    const storage = createSqliteStorage(); // .hindsight/events.db, created with its folder
    storage.db.exec('CREATE TABLE IF NOT EXISTS balances (account TEXT PRIMARY KEY, total REAL NOT NULL)');
    const store = createEventStore({ storage, events: [Account] });

    await store.append('acc-1', [{ type: 'Deposited', data: { amount: 50 } }], {
      streamType: 'Account',
      // Inside the append's transaction: the balance and the event commit together, or neither does.
      inTransaction: async ({ db }, events) => {
        const add = db.prepare(
          'INSERT INTO balances VALUES (?, ?) ON CONFLICT (account) DO UPDATE SET total = total + excluded.total',
        );
        for (const event of events) add.run(event.streamId, (event.data as { amount: number }).amount);
      },
    });
    print(storage.db.prepare('SELECT total FROM balances WHERE account = ?').pluck().get('acc-1')); // 50
    await store.close();
    // #endregion usage
    expect(printed).toEqual([50]);
    expect(readFileSync(join(folder, '.hindsight', 'events.db')).length).toBeGreaterThan(0);
  });

  it('runs the own-database snippet: the connection stays open after close', async () => {
    // #region own-database
    const db = new Database('app.db');
    const storage = createSqliteStorage({ database: db, synchronous: 'normal' });
    // … the application's own tables live in app.db beside the events …
    await storage.close(); // db stays open: it is yours to close
    db.close();
    // #endregion own-database
    expect(db.open).toBe(false);
  });
});
