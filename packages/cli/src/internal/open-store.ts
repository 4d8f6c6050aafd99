import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type EventStorage, isHindsightError } from '@hindsight/core';
import { createPostgresStorage, type PostgresStorage } from '@hindsight/postgres';
import { createSqliteStorage, defaultSqlitePath, type SqliteStorage } from '@hindsight/sqlite';
import Database from 'better-sqlite3';
import pg from 'pg';
import { CliError, describeError, usageError } from './cli-error.js';

/** Where the events are, as chosen by flags and environment. */
export type StoreLocation =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string };

/** What `migrate` did. */
export interface MigrateOutcome {
  /** Versions applied now, oldest first (empty when the store was current). */
  readonly applied: readonly number[];
  readonly schemaVersion: number;
}

/** An open store and everything needed to let go of it. */
export interface OpenedStore {
  readonly location: StoreLocation;
  readonly storage: EventStorage<unknown>;
  /** For humans: `SQLite file /abs/events.db`, `PostgreSQL postgres://u:***@h/db, schema "x"`. */
  readonly description: string;
  /** False when this open created the store (SQLite file, PostgreSQL tables). */
  readonly existed: boolean;
  migrate(): Promise<MigrateOutcome>;
  close(): Promise<void>;
}

/** The flags and variables that choose a store. */
export interface StoreSelection {
  readonly url?: string | undefined;
  readonly schema?: string | undefined;
  readonly file?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/**
 * `--url` or `HINDSIGHT_DATABASE_URL` → PostgreSQL (schema `--schema`, `HINDSIGHT_PG_SCHEMA` or
 * `hindsight`); otherwise the SQLite file `--file`, `HINDSIGHT_SQLITE_PATH` or `.hindsight/events.db`.
 */
export function locateStore(selection: StoreSelection): StoreLocation {
  const url = nonEmpty(selection.url) ?? nonEmpty(selection.env.HINDSIGHT_DATABASE_URL);
  if (url !== undefined) {
    if (nonEmpty(selection.file) !== undefined) {
      throw usageError('--file and a PostgreSQL URL both choose a store: give one of them');
    }
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw usageError(`the database URL must start with postgres:// or postgresql://, got ${redact(url)}`);
    }
    const schema = nonEmpty(selection.schema) ?? nonEmpty(selection.env.HINDSIGHT_PG_SCHEMA) ?? 'hindsight';
    return { kind: 'postgres', url, schema };
  }
  if (nonEmpty(selection.schema) !== undefined) {
    throw usageError('--schema applies to PostgreSQL only: give --url or HINDSIGHT_DATABASE_URL too');
  }
  const file = nonEmpty(selection.file) ?? nonEmpty(selection.env.HINDSIGHT_SQLITE_PATH) ?? defaultSqlitePath;
  return { kind: 'sqlite', path: resolve(selection.cwd, file) };
}

/** Human description of a location, secrets masked. */
export function describeLocation(location: StoreLocation): string {
  return location.kind === 'sqlite'
    ? `SQLite file ${location.path}`
    : `PostgreSQL ${redact(location.url)}, schema "${location.schema}"`;
}

/**
 * Opens the store. With `create`, a missing store is created (SQLite file, PostgreSQL schema);
 * otherwise a missing one is an error that says how to create it.
 */
export async function openStore(location: StoreLocation, options: { create: boolean }): Promise<OpenedStore> {
  return location.kind === 'sqlite' ? openSqlite(location, options) : openPostgres(location, options);
}

function openSqlite(location: StoreLocation & { kind: 'sqlite' }, options: { create: boolean }): OpenedStore {
  if (!options.create && !existsSync(location.path)) {
    throw new CliError(
      `no event store at ${location.path}: create one with \`hindsight migrate\`, or choose another ` +
        'with --file, HINDSIGHT_SQLITE_PATH, --url or HINDSIGHT_DATABASE_URL',
      { code: 'STORE_NOT_FOUND' },
    );
  }
  const existed = existsSync(location.path);
  const openedAt = Date.now();
  let storage: SqliteStorage;
  try {
    if (!options.create && !hasHindsightTables(location.path)) {
      throw new CliError(
        `SQLite file ${location.path} has no Hindsight tables: create them with \`hindsight migrate\` (same --file), or choose another store`,
        { code: 'STORE_NOT_MIGRATED' },
      );
    }
    storage = createSqliteStorage({ path: location.path });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot open the SQLite file ${location.path}: ${describeError(error)}`, {
      code: 'STORE_UNAVAILABLE',
      cause: error,
    });
  }
  return {
    location,
    storage,
    description: describeLocation(location),
    existed,
    // The storage migrates when it opens the file; the versions it applied carry that moment.
    async migrate() {
      const rows = storage.db
        .prepare('SELECT version, applied_at FROM hindsight_migrations ORDER BY version')
        .all() as { version: number | bigint; applied_at: number | bigint }[];
      const applied = rows
        .filter((row) => Number(row.applied_at) >= openedAt)
        .map((row) => Number(row.version));
      return { applied, schemaVersion: Number(rows.at(-1)?.version ?? 0) };
    },
    close: () => storage.close(),
  };
}

/**
 * Whether the file holds Hindsight's tables, looked at read-only: opening the storage would create
 * them, and a command that only reads must not turn another application's database into a store.
 */
function hasHindsightTables(path: string): boolean {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const found = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'hindsight_migrations'")
      .get();
    return found !== undefined;
  } finally {
    db.close();
  }
}

async function openPostgres(
  location: StoreLocation & { kind: 'postgres' },
  options: { create: boolean },
): Promise<OpenedStore> {
  const pool = new pg.Pool({ connectionString: location.url, max: 4, connectionTimeoutMillis: 10_000 });
  // An idle connection dropped by the server must not crash the CLI; the next query reports it.
  pool.on('error', () => undefined);
  const description = describeLocation(location);
  let storage: PostgresStorage;
  let existed: boolean;
  try {
    storage = createPostgresStorage({ client: pool, schema: location.schema });
    // Through the storage first: a connection PostgreSQL refuses (no such database or role) comes
    // back as the library's error saying what to create, not as the driver's bare message.
    await storage.headPosition().catch((error: unknown) => {
      if (!isHindsightError(error, 'SCHEMA_NOT_MIGRATED')) throw error;
    });
    const found = await pool.query<{ events: string | null }>('SELECT to_regclass($1) AS events', [
      `${quoteIdentifier(location.schema)}.events`,
    ]);
    existed = found.rows[0]?.events != null;
    if (!options.create && !existed) {
      throw new CliError(
        `${description} has no Hindsight tables: create them with \`hindsight migrate\` (same --url and --schema)`,
        { code: 'STORE_NOT_MIGRATED' },
      );
    }
  } catch (error) {
    await pool.end();
    if (error instanceof CliError) throw error;
    // The library's message says what to do; the code stays the CLI's own STORE_UNAVAILABLE.
    throw new CliError(`cannot use ${description}: ${describeError(error)}`, {
      code: 'STORE_UNAVAILABLE',
      cause: isHindsightError(error, 'STORAGE_UNAVAILABLE') ? error.cause : error,
    });
  }
  const schemaVersion = async (): Promise<number> => {
    const result = await pool.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${quoteIdentifier(location.schema)}.migrations`,
    );
    return Number(result.rows[0]?.version ?? 0);
  };
  return {
    location,
    storage,
    description,
    existed,
    async migrate() {
      const { applied } = await storage.migrate();
      return { applied, schemaVersion: await schemaVersion() };
    },
    async close() {
      await storage.close();
      await pool.end();
    },
  };
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Masks the password of a connection URL. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
