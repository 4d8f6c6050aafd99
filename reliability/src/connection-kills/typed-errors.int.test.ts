import { isHindsightError } from '@hindsight/core';
import { createPostgresStorage } from '@hindsight/postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { appendRequest, preparedEvents } from '../support/events.js';
import { createPool, dropSchema, uniqueName } from '../support/postgres.js';

/**
 * The README promises `STORAGE_UNAVAILABLE` (retryable) when the database cannot be reached. These
 * pin down where a lost connection surfaces, deterministically: the backend kills itself.
 */
describe('a connection lost inside a PostgreSQL append surfaces as STORAGE_UNAVAILABLE', () => {
  const pool = createPool({ max: 4 });
  const schema = uniqueName('hs_rel_typed');
  const storage = createPostgresStorage({ client: pool, schema });

  afterAll(async () => {
    await storage.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('when the connection dies inside the hook, on the transaction handle the storage gave it', async () => {
    await storage.migrate();
    // Control: the same append with a harmless hook succeeds.
    await storage.append(
      appendRequest(
        'typed-control',
        preparedEvents(1, () => ({})),
      ),
      async (transaction) => {
        await transaction.query('SELECT 1');
      },
    );
    const request = appendRequest(
      'typed-hook',
      preparedEvents(1, () => ({})),
    );
    const failure = await storage
      .append(request, async (transaction) => {
        await transaction.query('SELECT pg_terminate_backend(pg_backend_pid())');
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(Error);
    // Found by the connection-kill test: the handle's query() used to pass pg's own error through
    // (DatabaseError 57P01 / "Client has encountered a connection error"), so an inline
    // projection's caller had to recognise driver errors to know the append may be retried.
    expect({
      storageUnavailable: isHindsightError(failure, 'STORAGE_UNAVAILABLE'),
      retryable: (failure as { retryable?: unknown }).retryable,
    }).toEqual({ storageUnavailable: true, retryable: true });
    expect(await storage.streamInfo('typed-hook')).toBeUndefined();
  });
});
