import { type AppendRequest, partitionOf, type StoredEvent } from '@hindsight/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStorage, type PostgresStorage } from '../postgres-storage.js';
import { createTestPool, dropSchema, uniqueSchema, waitFor } from '../test-helpers.js';

function request(streamId: string, types: readonly string[], streamType = 'Thing'): AppendRequest {
  return {
    streamId,
    streamType,
    expectedVersion: 'any',
    events: types.map((type) => ({ eventId: globalThis.crypto.randomUUID(), type, data: {}, metadata: {} })),
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

const positions = (events: readonly StoredEvent[]) => events.map((event) => event.position);

/** The first `count` ids `prefix-<n>` that fall into `partition` of `partitions`. */
function idsIn(prefix: string, partition: number, partitions: number, count: number): string[] {
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n += 1) {
    if (partitionOf(`${prefix}-${n}`, partitions) === partition) ids.push(`${prefix}-${n}`);
  }
  return ids;
}

describe('PostgreSQL storage: reading one partition of the global log', () => {
  const pool = createTestPool(8);
  const schema = uniqueSchema('hs_read_partition');
  let storage: PostgresStorage;

  beforeAll(async () => {
    storage = createPostgresStorage({ client: pool, schema });
    await storage.migrate();
  });
  afterAll(async () => {
    await storage.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('returns archived events in position order among the hot ones, with every filter', async () => {
    const count = 3;
    for (let n = 0; n < 12; n += 1) {
      await storage.append(request(`arc-${n}`, ['A', 'B'], n % 2 === 0 ? 'Thing' : 'Other'));
    }
    // Half of the streams are archived (closed first, as an application would), one only in part.
    for (let n = 0; n < 12; n += 2) {
      await storage.lifecycle.close(`arc-${n}`, { reason: 'done', at: new Date() });
      expect(await storage.lifecycle.archive(`arc-${n}`, n === 0 ? 1 : 2)).not.toHaveLength(0);
    }
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".archived_events`);
    expect(rows).toEqual([{ n: 11 }]);
    const all = await storage.readAll({ after: 0, limit: 1_000 });
    expect(all).toHaveLength(24);
    const filters = [
      {},
      { types: ['B'] },
      { streamTypes: ['Thing'] },
      { types: ['A'], streamTypes: ['Other'] },
    ];
    for (let index = 0; index < count; index += 1) {
      const mine = all.filter((event) => partitionOf(event.streamId, count) === index);
      for (const filter of filters) {
        const read = await storage.readAll({
          after: 0,
          limit: 1_000,
          partition: { index, count },
          ...filter,
        });
        const expected = mine.filter(
          (event) =>
            (!('types' in filter) || filter.types.includes(event.type)) &&
            (!('streamTypes' in filter) || filter.streamTypes.includes(event.streamType)),
        );
        expect(read, JSON.stringify({ index, filter })).toEqual(expected);
      }
      // Pages of 1 still visit every event of the partition once.
      const paged: StoredEvent[] = [];
      for (let after = 0; ; ) {
        const [event] = await storage.readAll({ after, limit: 1, partition: { index, count } });
        if (event === undefined) break;
        paged.push(event);
        after = event.position;
      }
      expect(positions(paged)).toEqual(positions(mine));
    }
  });

  it('stops below a position an open append holds, in its partition or another, then reads on', async () => {
    const reader = createPostgresStorage({ client: pool, schema, readWaitMs: 100 });
    try {
      const [mineHeld, mineLater, otherHeld] = [
        ...idsIn('horizon-mine', 1, 2, 2),
        ...idsIn('horizon-other', 0, 2, 1),
      ] as [string, string, string];
      const partition = { index: 1, count: 2 };
      let start = await reader.headPosition();
      for (const held of [mineHeld, otherHeld]) {
        const entered = latch();
        const release = latch();
        const append = storage.append(request(held, ['Held']), async () => {
          entered.open();
          await release.promise;
        });
        await entered.promise;
        // Committed above the held position: not readable while the lower one may still commit.
        const later = await storage.append(request(mineLater, ['Later']));
        expect(await reader.readAll({ after: start, limit: 100, partition })).toEqual([]);
        expect(reader.readHorizon.current().waitingFor).toMatchObject({ kind: 'in-flight-append' });
        release.open();
        const committed = await append;
        expect(committed.position).toBeLessThan(later.position);
        await waitFor(async () => (await reader.headPosition()) >= later.position);
        const read = await reader.readAll({ after: start, limit: 100, partition });
        expect(positions(read)).toEqual(
          [...committed.events, ...later.events]
            .filter((event) => partitionOf(event.streamId, 2) === 1)
            .map((event) => event.position),
        );
        start = later.position;
      }
    } finally {
      await reader.close();
    }
  });
});
