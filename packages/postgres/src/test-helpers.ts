import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { quoteIdentifier } from './internal/identifiers.js';

/** The server the integration tests use; they fail (never skip) when it is unreachable. */
export const databaseUrl = process.env.HINDSIGHT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function createTestPool(max = 20): pg.Pool {
  return new pg.Pool({ connectionString: databaseUrl, max });
}

/** A schema name no other test (or concurrent test run) uses. */
export function uniqueSchema(prefix = 'hs_test'): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await sleep(5);
  }
}

/**
 * Set when no server answers outside CI (see test-support/test-servers.ts): suites that run on
 * PGlite as well then skip their server cases and keep the PGlite ones.
 */
export const serverLeftOut = process.env.HINDSIGHT_PG_LEFT_OUT === '1';

/** The `[name, driver]` pairs a suite runs: all, or all but `PostgreSQL` when the server is left out. */
export function driversToRun<Driver>(drivers: Readonly<Record<string, Driver>>): [string, Driver][] {
  return Object.entries(drivers).filter(([name]) => !(serverLeftOut && name === 'PostgreSQL'));
}
