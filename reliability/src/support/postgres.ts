import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The server the integration tests use; they fail (never skip) when it is unreachable. */
export const databaseUrl = process.env.HINDSIGHT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function createPool(options: { max?: number; applicationName?: string } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    ...(options.applicationName === undefined ? {} : { application_name: options.applicationName }),
  });
  // An idle pooled connection that the server closes emits 'error' on the pool; without a
  // listener Node would crash the process. Applications must do the same.
  pool.on('error', () => undefined);
  return pool;
}

/** A schema (or application name) no other test or concurrent run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
