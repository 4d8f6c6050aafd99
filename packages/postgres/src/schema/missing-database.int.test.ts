import { isHindsightError } from '@hindsight/core';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPostgresStorage } from '../postgres-storage.js';
import { databaseUrl } from '../test-helpers.js';

/** The test server's URL with another database or user. */
function urlWith(change: (url: URL) => void): string {
  const url = new URL(databaseUrl);
  change(url);
  return url.toString();
}

async function failureOf(connectionString: string, use: 'migrate' | 'read') {
  const pool = new pg.Pool({ connectionString, max: 2 });
  const storage = createPostgresStorage({ client: pool, schema: 'hs_missing' });
  try {
    await (use === 'migrate' ? storage.migrate() : storage.streamInfo('any'));
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await storage.close();
    await pool.end();
  }
}

describe('a database or role that does not exist', () => {
  const missingDatabase = urlWith((url) => {
    url.pathname = '/hs_no_such_database_d9';
  });
  const missingRole = urlWith((url) => {
    url.username = 'hs_no_such_role_d9';
    url.password = '';
  });

  it.each(['migrate', 'read'] as const)(
    'is a typed, non-retryable STORAGE_UNAVAILABLE saying to create the database (%s)',
    async (use) => {
      const error = await failureOf(missingDatabase, use);
      expect(isHindsightError(error, 'STORAGE_UNAVAILABLE')).toBe(true);
      expect(error).toMatchObject({ retryable: false });
      expect((error as Error).message).toMatch(/database "hs_no_such_database_d9" does not exist/);
      expect((error as Error).message).toMatch(/CREATE DATABASE/);
    },
  );

  it.each(['migrate', 'read'] as const)(
    'is a typed, non-retryable STORAGE_UNAVAILABLE saying to create the role (%s)',
    async (use) => {
      const error = await failureOf(missingRole, use);
      expect(isHindsightError(error, 'STORAGE_UNAVAILABLE')).toBe(true);
      expect(error).toMatchObject({ retryable: false });
      expect((error as Error).message).toMatch(/role "hs_no_such_role_d9" does not exist/);
      expect((error as Error).message).toMatch(/CREATE ROLE/);
    },
  );
});
