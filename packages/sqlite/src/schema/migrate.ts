import { HindsightError } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';
import { type Migration, migrations } from './migrations.js';

/**
 * Brings a database's Hindsight tables to the latest schema version, applying each missing
 * migration once, in order, in one write transaction. Idempotent and safe when several processes
 * open the same file at once: the version is re-read under the write lock. `createSqliteStorage`
 * calls it on open; call it yourself to prepare a database ahead of deployment.
 *
 * The applied versions are kept in `hindsight_migrations` rather than `PRAGMA user_version`,
 * which stays free for the application's own read-model migrations.
 *
 * @returns the schema version the database is at.
 * @throws HindsightError `STORAGE_UNAVAILABLE` if a newer release of this package migrated the file.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import { migrate } from '@hindsight/sqlite';
 *
 * const db = new Database('events.db');
 * migrate(db); // 1
 * ```
 */
export function migrate(db: BetterSqlite3.Database): number {
  return applyMigrations(db, migrations);
}

/** {@link migrate} with an explicit list, so tests can exercise upgrades across versions. */
export function applyMigrations(db: BetterSqlite3.Database, all: readonly Migration[]): number {
  const latest = all.at(-1)?.version ?? 0;
  // The common case, an up-to-date file, only reads: no write lock, no fsync on open.
  if (appliedVersion(db, latest) === latest) return latest;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(
      'CREATE TABLE IF NOT EXISTS hindsight_migrations ' +
        '(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT',
    );
    const current = appliedVersion(db, latest);
    const record = db.prepare(
      'INSERT INTO hindsight_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const migration of all) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
  return latest;
}

function appliedVersion(db: BetterSqlite3.Database, latest: number): number {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'hindsight_migrations'")
    .pluck()
    .get();
  if (exists === undefined) return 0;
  const version = Number(
    db.prepare('SELECT coalesce(max(version), 0) FROM hindsight_migrations').pluck().get() ?? 0,
  );
  if (version > latest) {
    throw new HindsightError(
      'STORAGE_UNAVAILABLE',
      `The SQLite database is at schema version ${version}, newer than this @hindsight/sqlite ` +
        `knows (${latest}): upgrade the package`,
    );
  }
  return version;
}
