import type { AppendRequest } from '@hindsight/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { quoteIdentifier } from './internal/identifiers.js';
import { createPostgresStorage, type PostgresStorage } from './postgres-storage.js';
import { createTestPool, dropSchema, sleep, uniqueSchema, waitFor } from './test-helpers.js';

function request(streamId: string, count = 1): AppendRequest {
  return {
    streamId,
    streamType: 'Thing',
    expectedVersion: 'any',
    events: Array.from({ length: count }, () => ({
      eventId: globalThis.crypto.randomUUID(),
      type: 'Happened',
      data: {},
      metadata: {},
    })),
  };
}

/** A promise and the function that resolves it. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('PostgreSQL storage: the safe read horizon', () => {
  const pool = createTestPool(8);
  const schema = uniqueSchema('hs_horizon');
  const quoted = quoteIdentifier(schema);
  const readWaitMs = 100;
  let writer: PostgresStorage;

  beforeAll(async () => {
    writer = createPostgresStorage({ client: pool, schema });
    await writer.migrate();
  });
  afterAll(async () => {
    await writer.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('stops reads below a position an open transaction holds, reports the wait, then reads on', async () => {
    // Another instance, as in another process.
    const reader = createPostgresStorage({ client: pool, schema, readWaitMs });
    try {
      const before = await writer.append(request('held-before'));
      expect(await reader.headPosition()).toBe(before.position);
      const entered = latch();
      const release = latch();
      const held = writer.append(request('held', 2), async () => {
        entered.open();
        await release.promise;
      });
      await entered.promise;
      // A later append commits while the earlier one is still open: its position is higher.
      const after = await writer.append(request('held-after'));
      const { rows } = await pool.query(`SELECT 1 FROM ${quoted}.events WHERE position = $1`, [
        after.position,
      ]);
      expect(rows).toHaveLength(1);

      const started = Date.now();
      expect(await reader.readAll({ after: 0, limit: 100 })).toEqual(before.events);
      expect(Date.now() - started).toBeLessThan(readWaitMs + 1_000);
      expect(reader.readHorizon.current().waitingFor).toMatchObject({ kind: 'in-flight-append' });
      expect(reader.readHorizon.current().safe).toBeLessThan(after.position);
      expect(await reader.headPosition()).toBe(before.position);
      expect(await reader.readAll({ after: before.position, limit: 100 })).toEqual([]);

      release.open();
      const committed = await held;
      expect(committed.position).toBeLessThan(after.position);
      // Once the open transaction ends, the next read settles the horizon above both.
      await waitFor(async () => (await reader.headPosition()) === after.position);
      expect(await reader.readAll({ after: before.position, limit: 100 })).toEqual([
        ...committed.events,
        ...after.events,
      ]);
      expect(reader.readHorizon.current()).toEqual({ safe: after.position, waitingFor: undefined });
    } finally {
      await reader.close();
    }
  });

  it('takes the position lock before a position: a writer waiting at nextval already holds it', async () => {
    // ALTER SEQUENCE in an open transaction makes nextval wait for it.
    const blocker = await pool.connect();
    let appending: Promise<unknown> = Promise.resolve();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`ALTER SEQUENCE ${quoted}.event_position CACHE 1`);
      appending = writer.append(request('lock-order'));
      const waiting = async () =>
        (
          await pool.query<{ pid: number }>(
            `SELECT pid FROM pg_locks WHERE relation = $1::regclass AND mode = 'RowExclusiveLock' AND NOT granted`,
            [`${quoted}.event_position`],
          )
        ).rows;
      await waitFor(async () => (await waiting()).length === 1);
      const [{ pid } = { pid: 0 }] = await waiting();
      const { rows } = await pool.query<{ mode: string; granted: boolean }>(
        `SELECT mode, granted FROM pg_locks WHERE locktype = 'advisory' AND pid = $1`,
        [pid],
      );
      expect(rows).toEqual([{ mode: 'ShareLock', granted: true }]);
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
      await appending;
    }
  });

  it('bounds the wait: appends and reads go on while a transaction stays open', async () => {
    const reader = createPostgresStorage({ client: pool, schema, readWaitMs });
    const release = latch();
    const entered = latch();
    try {
      const held = writer.append(request('stuck'), async () => {
        entered.open();
        await release.promise;
      });
      await entered.promise;
      const started = Date.now();
      for (let round = 0; round < 10; round += 1) {
        await writer.append(request('flowing'));
        await reader.readAll({ after: 0, limit: 1_000 });
      }
      // Each read waits at most readWaitMs, after which reads only try the lock for a while.
      expect(Date.now() - started).toBeLessThan(10 * readWaitMs);
      expect(reader.readHorizon.current().waitingFor).toBeDefined();
      release.open();
      await held;
    } finally {
      release.open();
      await reader.close();
    }
  });

  it('reads pages below the proven horizon in one statement, without the lock', async () => {
    const reader = createPostgresStorage({ client: pool, schema });
    try {
      for (let round = 0; round < 5; round += 1) await writer.append(request('catch-up', 10));
      const head = await reader.headPosition();
      const query = vi.spyOn(pool, 'query');
      try {
        let after = 0;
        let pages = 0;
        for (;;) {
          const page = await reader.readAll({ after, upTo: head, limit: 7 });
          if (page.length === 0) break;
          pages += 1;
          after = page.at(-1)?.position ?? after;
        }
        expect(after).toBe(head);
        // The writer's own after-commit NOTIFY may land in this window on the shared pool.
        const reads = query.mock.calls
          .map((call) => call[0] as unknown as { name?: string; text: string })
          .filter((config) => !config.name?.startsWith('hindsight_notify_appended_'));
        expect(reads).toHaveLength(pages + 1);
        const texts = reads.map((config) => config.text);
        expect(texts.filter((text) => text.includes('advisory'))).toEqual([]);
      } finally {
        query.mockRestore();
      }
    } finally {
      await reader.close();
    }
  });

  it('answers an idle head in one statement: nothing handed out since the last proof', async () => {
    const reader = createPostgresStorage({ client: pool, schema });
    try {
      const head = await reader.headPosition();
      const query = vi.spyOn(pool, 'query');
      try {
        expect(await reader.headPosition()).toBe(head);
        expect(query).toHaveBeenCalledTimes(1);
      } finally {
        query.mockRestore();
      }
    } finally {
      await reader.close();
    }
  });

  it('refuses a read wait that is not a positive integer', () => {
    expect(() => createPostgresStorage({ client: pool, schema, readWaitMs: 0 })).toThrow(/readWaitMs/);
    expect(() => createPostgresStorage({ client: pool, schema, readWaitMs: 1.5 })).toThrow(/readWaitMs/);
  });

  it('lets hooks run long without failing readers that merely wait', async () => {
    const reader = createPostgresStorage({ client: pool, schema, readWaitMs });
    try {
      const start = await reader.headPosition();
      const slow = writer.append(request('slow-hook'), () => sleep(3 * readWaitMs));
      await sleep(readWaitMs / 2);
      expect(await reader.headPosition()).toBe(start);
      const result = await slow;
      await waitFor(async () => (await reader.headPosition()) >= result.position);
    } finally {
      await reader.close();
    }
  });
});
