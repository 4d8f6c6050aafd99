import { LeaseLostError, type StoredLease } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * The lease statements of one connection. Each runs inside a write transaction of the storage,
 * so it is ordered with every other writer of the file, across processes: a transaction that
 * passed {@link Leases.holds} commits before any takeover can. Expiry is by this machine's clock
 * (every process sharing a file runs on the machine that holds it).
 */
export interface Leases {
  /** Acquires or renews; true when `owner` holds the lease afterwards. */
  acquire(name: string, owner: string, ttlMs: number, now: number): boolean;
  release(name: string, owner: string): void;
  holds(name: string, owner: string, now: number): boolean;
  read(name: string): StoredLease | undefined;
}

export function prepareLeases(db: BetterSqlite3.Database): Leases {
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

/** The fence: throws `LeaseLostError` unless `owner` holds `name`. */
export function assertHolds(leases: Leases, name: string, owner: string, now: number): void {
  if (!leases.holds(name, owner, now)) throw new LeaseLostError({ lease: name, owner });
}
