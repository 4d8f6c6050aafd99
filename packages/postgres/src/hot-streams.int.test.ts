import { createEventStore, createRepository, defineAggregate } from '@hindsight/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createPostgresStorage, type PostgresStorage } from './index.js';
import { createTestPool, dropSchema, sleep, uniqueSchema } from './test-helpers.js';

const Counter = defineAggregate('Counter')
  .events({ Incremented: z.object({ by: z.number().int() }) })
  .initialState(() => ({ total: 0 }))
  .evolve({ Incremented: (state, { data }) => ({ total: state.total + data.by }) })
  .commands({ increment: (_state, input: { by: number }) => ({ type: 'Incremented', data: input }) });

describe('PostgreSQL storage: hot streams', () => {
  let pool: pg.Pool;
  const schema = uniqueSchema('hs_hot');
  const storages: PostgresStorage[] = [];

  beforeAll(async () => {
    pool = createTestPool(30);
    const first = createPostgresStorage({ client: pool, schema });
    await first.migrate();
    storages.push(first, createPostgresStorage({ client: pool, schema }));
  });

  afterAll(async () => {
    for (const storage of storages) await storage.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('queues writers of one stream across storages (as across processes): none conflicts, none retries', async () => {
    const repositories = storages.map((storage) =>
      createRepository(createEventStore({ storage, events: [Counter] }), Counter, {
        lockStream: true,
        retry: { attempts: 1 },
      }),
    );
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, index) =>
        repositories[index % repositories.length]?.execute('hot', 'increment', { by: index + 1 }),
      ),
    );
    expect(results.map((result) => result?.version).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: 16 }, (_, index) => index + 1),
    );
    expect((await repositories[0]?.load('hot'))?.state.total).toBe((16 * 17) / 2);
  });

  it('holds writers of the same stream only: other streams and plain appends go on', async () => {
    const [storage] = storages as [PostgresStorage];
    const streamLocks = storage.streamLocks;
    if (streamLocks === undefined) throw new Error('PostgreSQL storages over a pool lock streams');
    const lockStream = (streamId: string) => streamLocks.lock(streamId);
    const release = await lockStream('Counter-held');
    try {
      const other = await lockStream('Counter-other');
      await other();
      let second = false;
      const waiting = lockStream('Counter-held').then(async (releaseSecond) => {
        second = true;
        await releaseSecond();
      });
      const store = createEventStore({ storage, events: [Counter] });
      const appended = await store.append('Counter-held', [{ type: 'Incremented', data: { by: 1 } }], {
        streamType: 'Counter',
      });
      expect(appended.version).toBe(1);
      await sleep(100);
      expect(second).toBe(false);
      await release();
      await waiting;
      expect(second).toBe(true);
    } finally {
      await release();
    }
  });

  it.each([1, 2, 10])(
    'never deadlocks: 12 locked writers of one stream over a pool of %i all succeed',
    async (max) => {
      const small = createTestPool(max);
      const storage = createPostgresStorage({ client: small, schema });
      try {
        const counters = createRepository(createEventStore({ storage, events: [Counter] }), Counter, {
          lockStream: true,
        });
        const streamId = `pool-${max}`;
        const results = await Promise.all(
          Array.from({ length: 12 }, () => counters.execute(streamId, 'increment', { by: 1 })),
        );
        expect(results.map((result) => result.version).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 12 }, (_, index) => index + 1),
        );
      } finally {
        await storage.close();
        await small.end();
      }
    },
    30_000,
  );

  it('20 concurrent writers of one stream without lockStream all succeed with default settings', async () => {
    const [storage] = storages as [PostgresStorage];
    const counters = createRepository(createEventStore({ storage, events: [Counter] }), Counter);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => counters.execute('contended', 'increment', { by: 1 })),
    );
    expect(results.map((result) => result.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
  }, 30_000);

  it('20 writers each executing 10 commands in a row on one stream all succeed with default settings', async () => {
    const [storage] = storages as [PostgresStorage];
    const counters = createRepository(createEventStore({ storage, events: [Counter] }), Counter);
    // Fresh commands keep arriving while losers retry: they must queue behind the lock holder,
    // not beat it at each of its attempts (it gave up after five before).
    const failures: unknown[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = 0; i < 10; i += 1) {
          await counters.execute('relentless', 'increment', { by: 1 }).catch((error: unknown) => {
            failures.push(error);
          });
        }
      }),
    );
    expect(failures).toEqual([]);
    expect((await storage.streamInfo('Counter-relentless'))?.version).toBe(200);
  }, 60_000);
});
