import { LeaseLostError, type LeaseStore, type StoredLease } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteAccess } from '../internal/sqlite-access.js';
import type { SqliteTransaction } from '../sqlite-transaction.js';

/**
 * The lease statements of one connection. Each runs inside a write transaction of the storage,
 * so it is ordered with every other writer of the file, across processes: a transaction that
 * passed {@link Leases.holds} commits before any takeover can. Expiry is by this machine's clock
 * (every process sharing a file runs on the machine that holds it).
 */
interface Leases {
  /** Acquires or renews; true when `owner` holds the lease afterwards. */
  acquire(name: string, owner: string, ttlMs: number, now: number): boolean;
  release(name: string, owner: string): void;
  holds(name: string, owner: string, now: number): boolean;
  read(name: string): StoredLease | undefined;
}

function prepareLeases(db: BetterSqlite3.Database): Leases {
  const acquire = db.prepare<[string, string, number, number]>(
    'INSERT INTO hindsight_leases (name, owner, expires_at) VALUES (?, ?, ?) ' +
      'ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at ' +
      'WHERE hindsight_leases.owner = excluded.owner OR hindsight_leases.expires_at <= ?',
  );
  const release = db.prepare<[string, string]>('DELETE FROM hindsight_leases WHERE name = ? AND owner = ?');
  const holds = db
    .prepare<[string, string, number], number>(
      'SELECT 1 FROM hindsight_leases WHERE name = ? AND owner = ? AND expires_at > ?',
    )
    .pluck();
  const read = db.prepare<[string], { owner: string; expires_at: number }>(
    'SELECT owner, expires_at FROM hindsight_leases WHERE name = ?',
  );
  return {
    acquire: (name, owner, ttlMs, now) => acquire.run(name, owner, now + ttlMs, now).changes === 1,
    release: (name, owner) => {
      release.run(name, owner);
    },
    holds: (name, owner, now) => holds.get(name, owner, now) !== undefined,
    read: (name) => {
      const row = read.get(name);
      return row === undefined ? undefined : { name, owner: row.owner, expiresAt: new Date(row.expires_at) };
    },
  };
}

/**
 * The SQLite storage's leases, shared by every process on the file. Acquiring and releasing go
 * through the write lock, the one order all processes on the file share.
 */
export function createSqliteLeases(access: SqliteAccess): LeaseStore<SqliteTransaction> {
  const leases = prepareLeases(access.db);
  return {
    acquire: (name, owner, ttlMs) => access.write(() => leases.acquire(name, owner, ttlMs, Date.now())),
    release: (name, owner) => access.write(() => leases.release(name, owner)),
    assert: async (name, owner, transaction) => {
      access.checkTransaction(transaction);
      if (!leases.holds(name, owner, Date.now())) throw new LeaseLostError({ lease: name, owner });
    },
    read: (name) => access.readLatest(() => leases.read(name)),
  };
}
