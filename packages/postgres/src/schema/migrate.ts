import { createDriver } from '../internal/create-driver.js';
import type { Driver } from '../internal/driver.js';
import { checkSchemaName, quoteIdentifier } from '../internal/identifiers.js';
import { defineStatement } from '../internal/statement.js';
import type { PostgresClient } from '../postgres-client.js';
import { migrations } from './migrations.js';

/**
 * Options of {@link migrate}.
 *
 * @example
 * ```ts
 * await migrate(pool, { schema: 'billing_events' });
 * ```
 */
export interface MigrateOptions {
  /** The schema holding Hindsight's tables (default `'hindsight'`). Created if missing. */
  readonly schema?: string;
  /** See `PostgresStorageOptions.prepareStatements` (default true). */
  readonly prepareStatements?: boolean;
}

/**
 * What {@link migrate} did.
 *
 * @example
 * ```ts
 * const { applied } = await migrate(pool);
 * if (applied.length > 0) logger.info(`hindsight schema migrated to version ${applied.at(-1)}`);
 * ```
 */
export interface MigrationResult {
  /** Versions applied by this call, oldest first; empty when the schema was already current. */
  readonly applied: readonly number[];
}

/**
 * Creates or upgrades Hindsight's tables in their schema. Idempotent, and safe when several
 * processes call it at once: they queue on an advisory lock and all but the first find nothing
 * to do. All pending migrations apply in one transaction.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { migrate } from '@hindsight/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool, { schema: 'hindsight' });
 * ```
 */
export function migrate(client: PostgresClient, options: MigrateOptions = {}): Promise<MigrationResult> {
  const schema = options.schema ?? 'hindsight';
  checkSchemaName(schema);
  return migrateWith(createDriver(client, { prepareStatements: options.prepareStatements ?? true }), schema);
}

const lockStatement = defineStatement(
  'migrate_lock',
  `SELECT pg_advisory_xact_lock(hashtext('hindsight.migrate'), hashtext($1::text))`,
);
const schemaExistsStatement = defineStatement(
  'schema_exists',
  'SELECT 1 AS found FROM pg_namespace WHERE nspname = $1::text',
);

/** {@link migrate} on a driver already made (the storage's own). */
export async function migrateWith(driver: Driver, schema: string): Promise<MigrationResult> {
  const quoted = quoteIdentifier(schema);
  const appliedStatement = defineStatement('migrations_applied', `SELECT version FROM ${quoted}.migrations`);
  const recordStatement = defineStatement(
    'migration_record',
    `INSERT INTO ${quoted}.migrations (version, name) VALUES ($1::int, $2::text)`,
  );
  return driver.transaction(async (session) => {
    await session.run(lockStatement, [schema]);
    // Only when missing: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when it exists.
    if ((await session.run(schemaExistsStatement, [schema])).length === 0) {
      await session.exec(`CREATE SCHEMA ${quoted}`);
    }
    await session.exec(
      `CREATE TABLE IF NOT EXISTS ${quoted}.migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`,
    );
    const done = new Set(
      (await session.run<{ version: string }>(appliedStatement, [])).map((row) => Number(row.version)),
    );
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await session.exec(migration.sql(quoted));
      await session.run(recordStatement, [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return { applied };
  });
}
