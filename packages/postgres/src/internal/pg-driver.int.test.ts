import { HindsightError } from '@hindsight/core';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresStorage } from '../postgres-storage.js';
import { createTestPool, databaseUrl, dropSchema, uniqueSchema, waitFor } from '../test-helpers.js';

let terminationsLeft = 0;

/**
 * A connection the server terminates as soon as it is ready, reported the way pg does when the
 * server's FATAL arrives in the same read as ReadyForQuery: in the same tick, before any code
 * awaiting the connection runs.
 */
class TerminatedOnArrival extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.once('connect', () => {
      if (terminationsLeft <= 0) return;
      terminationsLeft -= 1;
      const fatal = Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
      });
      this.emit('error', fatal);
      (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    });
  }
}

/** Runs `operation` until it succeeds, counting the retryable failures on the way. */
async function untilAvailable<T>(operation: () => Promise<T>, unavailable: { count: number }): Promise<T> {
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof HindsightError) || error.code !== 'STORAGE_UNAVAILABLE') throw error;
      unavailable.count += 1;
    }
  }
}

describe('pg driver: connection errors with nobody awaiting', () => {
  const cleanup = createTestPool(1);
  const schema = uniqueSchema('hs_pg_driver');
  afterAll(async () => {
    await dropSchema(cleanup, schema);
    await cleanup.end();
  });

  it('an error reported as a connection is handed out does not crash the process', async () => {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, Client: TerminatedOnArrival });
    pool.on('error', () => undefined);
    const storage = createPostgresStorage({ client: pool, schema, onError: () => undefined });
    const unavailable = { count: 0 };
    try {
      // Each kind of use meets a connection terminated on arrival: pooled queries, transactions
      // (migrations, appends with a hook) and the LISTEN connection.
      terminationsLeft = 8;
      await untilAvailable(() => storage.migrate(), unavailable);
      let notified = 0;
      const stop = storage.onAppended((position) => {
        notified = position;
      });
      const eventId = globalThis.crypto.randomUUID();
      const hookedEventId = globalThis.crypto.randomUUID();
      await untilAvailable(
        () =>
          storage.append({
            streamId: 'arrival-1',
            streamType: 'Thing',
            expectedVersion: 'any',
            events: [{ eventId, type: 'Happened', data: {}, metadata: {} }],
          }),
        unavailable,
      );
      const hooked = await untilAvailable(
        () =>
          storage.append(
            {
              streamId: 'arrival-1',
              streamType: 'Thing',
              expectedVersion: 'any',
              events: [{ eventId: hookedEventId, type: 'Happened', data: {}, metadata: {} }],
            },
            async (transaction) => {
              await transaction.query('SELECT 1');
            },
          ),
        unavailable,
      );
      const read = await untilAvailable(
        () => storage.readStream('arrival-1', { direction: 'forward', limit: 10 }),
        unavailable,
      );
      expect(read.map((event) => event.eventId)).toEqual([eventId, hookedEventId]);
      await waitFor(() => notified >= hooked.position);
      stop();
      expect(terminationsLeft).toBe(0);
      expect(unavailable.count).toBeGreaterThan(0);
    } finally {
      await storage.close();
      await pool.end();
    }
  });
});
