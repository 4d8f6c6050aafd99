import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInMemoryStorage } from '@hindsight/core';
import { createPostgresStorage, type PostgresTransaction } from '@hindsight/postgres';
import { createSqliteStorage, type SqliteTransaction } from '@hindsight/sqlite';
import {
  balancesTable,
  createBalancesSql,
  readBalanceTotals,
  upsertBalancesParams,
  upsertBalancesSql,
} from './balances-sql.js';
import type { HindsightBackend } from './hindsight.js';
import { createPool } from './pg-pools.js';

/** Hindsight on PostgreSQL: `createPostgresStorage` over a pool of the same size as the others'. */
export async function postgresBackend(
  url: string,
  schema: string,
  poolSize: number,
  coalesceAppends = true,
): Promise<HindsightBackend> {
  const pool = createPool(url, poolSize);
  const storage = createPostgresStorage({ client: pool, schema, coalesceAppends });
  await storage.migrate();
  return {
    key: 'hindsight',
    label: 'Hindsight (pg)',
    note: `@hindsight/postgres, createPostgresStorage({ client: pg.Pool(max ${poolSize}), schema${coalesceAppends ? '' : ', coalesceAppends: false'} })`,
    storage,
    balances: {
      async create(trial) {
        const table = balancesTable(schema, trial);
        await pool.query(createBalancesSql(table));
        return table;
      },
      async upsert(transaction, table, deltas) {
        await (transaction as PostgresTransaction).query(
          upsertBalancesSql(table),
          upsertBalancesParams(deltas),
        );
      },
      totals: (table) => readBalanceTotals(pool, table),
    },
    dispose: () => pool.end(),
  };
}

/** Hindsight on its in-memory storage: not comparable with the PostgreSQL contenders. */
export function memoryBackend(): HindsightBackend {
  return {
    key: 'hindsight',
    label: 'Hindsight (memory)',
    note: 'in-memory storage: no database, not comparable with the PostgreSQL contenders',
    storage: createInMemoryStorage(),
  };
}

/** The embedded default store: `@hindsight/sqlite` on a file in a temporary directory. */
export function sqliteBackend(): HindsightBackend {
  const directory = mkdtempSync(join(tmpdir(), 'hindsight-bench-'));
  const storage = createSqliteStorage({ path: join(directory, 'bench.sqlite') });
  return {
    key: 'sqlite',
    label: 'Hindsight (SQLite)',
    note: '@hindsight/sqlite on a temporary file (WAL, synchronous=full), no server',
    storage,
    balances: {
      async create(trial) {
        const table = `balances_${trial}`;
        storage.db.exec(
          `CREATE TABLE ${table} (account TEXT PRIMARY KEY, balance INTEGER NOT NULL, events INTEGER NOT NULL)`,
        );
        return table;
      },
      async upsert(transaction, table, deltas) {
        // A prepared statement per row: SQLite runs in-process, so rows cost no round trips.
        const upsert = (transaction as SqliteTransaction).db.prepare(
          `INSERT INTO ${table} (account, balance, events) VALUES (?, ?, ?) ON CONFLICT (account)
           DO UPDATE SET balance = balance + excluded.balance, events = events + excluded.events`,
        );
        for (const delta of deltas) upsert.run(delta.account, delta.amount, delta.events);
      },
      async totals(table) {
        const row = storage.db
          .prepare(
            `SELECT coalesce(sum(events), 0) AS events, coalesce(sum(balance), 0) AS balance FROM ${table}`,
          )
          .get() as { events: number; balance: number };
        return { events: row.events, balance: row.balance };
      },
    },
    dispose: async () => rmSync(directory, { recursive: true, force: true }),
  };
}
