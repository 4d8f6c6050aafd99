import type { AppendRequest, StoredEvent } from '@hindsight/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStorage, type PostgresStorage } from './postgres-storage.js';
import { createTestPool, dropSchema, sleep, uniqueSchema } from './test-helpers.js';

const writers = 16;
const readers = 4;
const writeForMs = 2_000;

function request(streamId: string, count: number): AppendRequest {
  return {
    streamId,
    streamType: 'Tick',
    expectedVersion: 'any',
    events: Array.from({ length: count }, (_, index) => ({
      eventId: globalThis.crypto.randomUUID(),
      type: index % 2 === 0 ? 'Even' : 'Odd',
      data: { index },
      metadata: {},
    })),
  };
}

/**
 * Appends take positions from a sequence concurrently and commit in any order; reads stop at a
 * horizon below which every position is settled. A live reader must see every committed event
 * once, in order, and never find one below a position it has passed, however many writers commit
 * at once, with transactions held open and some rolled back (leaving holes).
 */
describe('gap torture: 16 concurrent writers and live readers', () => {
  // One connection per writer, one per reader for its queries, one for the LISTEN.
  const pool = createTestPool(writers + readers + 1);
  const rolledBack = new Error('rolled back on purpose');
  const schema = uniqueSchema('hs_gaps');
  let writerStorage: PostgresStorage;
  const readerStorages: PostgresStorage[] = [];

  beforeAll(async () => {
    writerStorage = createPostgresStorage({ client: pool, schema });
    await writerStorage.migrate();
    // Other storage instances, as in other processes: each proves its own read horizons.
    for (let index = 0; index < readers; index += 1) {
      readerStorages.push(createPostgresStorage({ client: pool, schema }));
    }
  });
  afterAll(async () => {
    await writerStorage.close();
    for (const storage of readerStorages) await storage.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('every reader sees every committed event exactly once, in strictly increasing order', async () => {
    let writing = true;
    const [notified, ...polling] = readerStorages as [PostgresStorage, ...PostgresStorage[]];
    let wake: () => void = () => undefined;
    const stop = notified.onAppended(() => wake());

    // Reads pages until the writers are done and a last page is empty; checks the order as it goes.
    const follow = async (
      readPage: (after: number) => Promise<readonly StoredEvent[]>,
      sleepWhenIdle: () => Promise<void>,
    ): Promise<StoredEvent[]> => {
      const seen: StoredEvent[] = [];
      let after = 0;
      for (;;) {
        const done = !writing;
        const page = await readPage(after);
        for (const event of page) {
          expect(event.position).toBeGreaterThan(after);
          seen.push(event);
          after = event.position;
        }
        if (page.length === 0) {
          if (done) return seen;
          await sleepWhenIdle();
        }
      }
    };
    const following = [
      // Woken by NOTIFY (another instance's commits), or after a short sleep.
      follow(
        (after) => notified.readAll({ after, limit: 100 }),
        () =>
          new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 50);
          }),
      ),
      // Polling hard with small pages, so horizons are proven as often as possible; one of them
      // as consumers do: the head first, then a page up to it.
      ...polling.map((storage, index) =>
        follow(
          async (after) =>
            index % 2 === 0
              ? storage.readAll({ after, limit: 10 })
              : storage.readAll({ after, upTo: await storage.headPosition(), limit: 10 }),
          () => sleep(0),
        ),
      ),
    ];

    const written: StoredEvent[] = [];
    const deadline = Date.now() + writeForMs;
    const writes = Array.from({ length: writers }, async (_, writer) => {
      // Half the writers share streams, so stream rows are contended as well as the counter.
      const streamId = writer % 2 === 0 ? `own-${writer}` : `shared-${writer % 4}`;
      let round = 0;
      while (Date.now() < deadline) {
        round += 1;
        const size = round % 3 === 0 ? 1 + Math.floor(Math.random() * 20) : 1;
        // From the first round on, so a loaded machine that lets each writer only a few rounds still
        // leaves holes.
        const rollBack = writer % 8 === 7 && round % 5 === 1;
        const hook =
          writer % 4 === 3
            ? async () => {
                // A transaction held open across an await: readers must not pass its positions.
                await sleep(Math.random() * 3);
                // Its positions were handed out and then vanish: holes readers must step over.
                if (rollBack) throw rolledBack;
              }
            : undefined;
        try {
          const result = await writerStorage.append(request(streamId, size), hook);
          written.push(...result.events);
        } catch (error) {
          if (error !== rolledBack) throw error;
        }
      }
    });
    try {
      await Promise.all(writes);
    } finally {
      writing = false;
    }
    const seenByReader = await Promise.all(following);
    stop();

    const committed = await writerStorage.readAll({ after: 0, limit: 1_000_000 });
    expect(written.length).toBeGreaterThan(writers * 10);
    expect(committed.length).toBe(written.length);
    expect(new Set(written.map((event) => event.eventId))).toEqual(
      new Set(committed.map((event) => event.eventId)),
    );
    for (const seen of seenByReader) {
      expect(seen.map((event) => event.eventId)).toEqual(committed.map((event) => event.eventId));
    }
    const positions = committed.map((event) => event.position);
    for (let index = 1; index < positions.length; index += 1) {
      expect(positions[index]).toBeGreaterThan(positions[index - 1] as number);
    }
    // Rolled-back appends leave holes: positions are strictly increasing, not dense.
    expect(positions.at(-1)).toBeGreaterThan(positions.length);
    expect(await writerStorage.headPosition()).toBe(positions.at(-1));
    for (const storage of readerStorages) expect(await storage.headPosition()).toBe(positions.at(-1));
  });
});
