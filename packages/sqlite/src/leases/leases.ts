import { hostname } from 'node:os';
import { LeaseLostError, type LeaseStore, type StoredLease } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteAccess } from '../internal/sqlite-access.js';
import type { SqliteTransaction } from '../sqlite-transaction.js';

/**
 * The lease statements of one connection. Each runs inside a write transaction of the storage,
 * so it is ordered with every other writer of the file, across processes: a transaction that
 * passed {@link Leases.holds} commits before any takeover can. Expiry is by this machine's clock
 * (every process sharing a file runs on the machine that holds it).
 *
 * A lease also records the holder's host name and process id. A process on the same host that
 * finds the holder's process gone takes the lease at once instead of waiting for it to expire:
 * after Ctrl-C, a crash or a `tsx watch` reload, the restarted app resumes immediately. A reused
 * process id only makes this conservative (the lease is then waited out as before).
 */
interface Leases {
  /** Acquires or renews; true when `owner` holds the lease afterwards. */
  acquire(name: string, owner: string, ttlMs: number, now: number): boolean;
  release(name: string, owner: string): void;
  holds(name: string, owner: string, now: number): boolean;
  read(name: string): StoredLease | undefined;
}

/** Who this connection's process is, as recorded in the leases it takes. */
export interface LeaseHolder {
  readonly host: string;
  readonly pid: number;
  /** Whether a process of this host with that id is still running. */
  readonly alive: (pid: number) => boolean;
}

export function currentProcess(): LeaseHolder {
  return { host: hostname(), pid: process.pid, alive: processAlive };
}

function processAlive(pid: number): boolean {
  try {
    // Signal 0 only checks that the process exists and may be signalled.
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function prepareLeases(db: BetterSqlite3.Database, holder: LeaseHolder = currentProcess()): Leases {
  const acquire = db.prepare<[string, string, number, string, number, number]>(
    'INSERT INTO hindsight_leases (name, owner, expires_at, holder_host, holder_pid) VALUES (?, ?, ?, ?, ?) ' +
      'ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, ' +
      'holder_host = excluded.holder_host, holder_pid = excluded.holder_pid ' +
      'WHERE hindsight_leases.owner = excluded.owner OR hindsight_leases.expires_at <= ?',
  );
  const takeOver = db.prepare<[string, number, string, number, string, string, number]>(
    'UPDATE hindsight_leases SET owner = ?, expires_at = ?, holder_host = ?, holder_pid = ? ' +
      'WHERE name = ? AND holder_host = ? AND holder_pid = ?',
  );
  const release = db.prepare<[string, string]>('DELETE FROM hindsight_leases WHERE name = ? AND owner = ?');
  const holds = db
    .prepare<[string, string, number], number>(
      'SELECT 1 FROM hindsight_leases WHERE name = ? AND owner = ? AND expires_at > ?',
    )
    .pluck();
  const read = db.prepare<
    [string],
    { owner: string; expires_at: number; holder_host: string | null; holder_pid: number | null }
  >('SELECT owner, expires_at, holder_host, holder_pid FROM hindsight_leases WHERE name = ?');
  return {
    acquire: (name, owner, ttlMs, now) => {
      if (acquire.run(name, owner, now + ttlMs, holder.host, holder.pid, now).changes === 1) return true;
      const row = read.get(name);
      const deadHolder =
        row?.holder_host === holder.host &&
        row.holder_pid !== null &&
        row.holder_pid !== holder.pid &&
        !holder.alive(row.holder_pid);
      if (!deadHolder) return false;
      return (
        takeOver.run(owner, now + ttlMs, holder.host, holder.pid, name, holder.host, row.holder_pid as number)
          .changes === 1
      );
    },
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
