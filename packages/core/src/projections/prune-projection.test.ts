import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRepository } from '../aggregates/aggregate-repository.js';
import { defineAggregate } from '../aggregates/define-aggregate.js';
import { isHindsightError } from '../errors/hindsight-error.js';
import { createInMemoryStorage, type InMemoryTransaction } from '../memory/in-memory-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { defineProjection } from './define-projection.js';
import { createProjectionRunner, rebuildProjection } from './projection-runner.js';
import { projectionVersions } from './projection-versions.js';
import { pruneProjection } from './prune-projection.js';

const Counter = defineAggregate('Counter')
  .events({ Added: z.object({ n: z.number() }) })
  .initialState(() => ({ total: 0 }))
  .evolve({ Added: (state, { data }) => ({ total: state.total + data.n }) })
  .commands({ add: (_state, input: { n: number }) => ({ type: 'Added', data: input }) });

const collection = (version: number) => `totals@${version}`;

function setup() {
  const storage = createInMemoryStorage();
  const store = createEventStore({ storage, events: [Counter] });
  const Base = defineProjection('totals', { from: [Counter] })
    .withTransaction<InMemoryTransaction>()
    .on('Added', async (event, { transaction, version }) => {
      const row = await storage.documents?.get(collection(version), event.streamId, transaction);
      const total = ((row?.value as { total?: number } | undefined)?.total ?? 0) + event.data.n;
      await storage.documents?.put(collection(version), event.streamId, { total }, transaction);
    });
  const Totals = Base.onPrune(async ({ transaction, version }) => {
    for (const { key } of (await storage.documents?.list(collection(version), { limit: 1000 })) ?? []) {
      await storage.documents?.delete(collection(version), key, transaction);
    }
  });
  return { storage, store, Base, Totals, counters: createRepository(store, Counter) };
}

describe('projection versions', () => {
  it('show the live version, the retired ones without lag, and prune a retired one with its read model', async () => {
    const { storage, store, Totals, counters } = setup();
    const runner = createProjectionRunner(store, Totals);
    await runner.start();
    await counters.execute('a', 'add', { n: 1 });
    await counters.execute('b', 'add', { n: 2 });
    await runner.waitUntilCaughtUp();
    expect(await projectionVersions(store, Totals)).toEqual({
      projection: 'totals',
      live: 1,
      building: undefined,
      versions: [{ version: 1, state: 'live', position: 2, lag: 0 }],
    });

    await runner.rebuild();
    await counters.execute('a', 'add', { n: 3 });
    await runner.waitUntilCaughtUp();
    await runner.stop();
    // Version 1 stopped at position 2 when version 2 took over: no lag for it, however far behind.
    expect(await projectionVersions(store, Totals)).toEqual({
      projection: 'totals',
      live: 2,
      building: undefined,
      versions: [
        { version: 1, state: 'retired', position: 2, lag: undefined },
        { version: 2, state: 'live', position: 3, lag: 0 },
      ],
    });
    expect(await storage.documents?.list(collection(1), { limit: 10 })).toHaveLength(2);

    expect(await pruneProjection(store, Totals, { version: 1 })).toEqual({
      projection: 'totals',
      version: 1,
      checkpoint: true,
      readModel: true,
    });
    expect(await storage.documents?.list(collection(1), { limit: 10 })).toEqual([]);
    expect((await storage.documents?.list(collection(2), { limit: 10 }))?.map((row) => row.value)).toEqual([
      { total: 4 },
      { total: 2 },
    ]);
    expect((await projectionVersions(store, Totals)).versions.map((v) => v.version)).toEqual([2]);
    // Pruning again finds nothing left.
    expect(await pruneProjection(store, Totals, { version: 1 })).toMatchObject({ checkpoint: false });
  });

  it('refuse to prune the live version or the one a rebuild is filling', async () => {
    const { store, Totals, counters } = setup();
    await counters.execute('a', 'add', { n: 1 });
    const live = await pruneProjection(store, Totals, { version: 1 }).catch((error: unknown) => error);
    expect(isHindsightError(live, 'PROJECTION_VERSION_IN_USE')).toBe(true);
    expect(live).toMatchObject({ projection: 'totals', version: 1, state: 'live' });

    // A rebuild cancelled half way leaves its version building, to resume later.
    const controller = new AbortController();
    await rebuildProjection(store, Totals, {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    }).catch(() => undefined);
    const { building } = await projectionVersions(store, Totals);
    expect(building).toBe(2);
    await expect(pruneProjection(store, Totals, { version: 2 })).rejects.toMatchObject({
      code: 'PROJECTION_VERSION_IN_USE',
      state: 'building',
    });
    await expect(pruneProjection(store, Totals, { version: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('without an onPrune hook, delete only the checkpoint and say so', async () => {
    const { store, Base, counters } = setup();
    await counters.execute('a', 'add', { n: 1 });
    await rebuildProjection(store, Base);
    await rebuildProjection(store, Base);
    expect(await pruneProjection(store, Base, { version: 2 })).toEqual({
      projection: 'totals',
      version: 2,
      checkpoint: true,
      readModel: false,
    });
    expect((await projectionVersions(store, Base)).versions).toEqual([
      { version: 3, state: 'live', position: 1, lag: 0 },
    ]);
  });

  it('of a partitioned projection: position and lag of its slowest partition, and pruned with every partition', async () => {
    const { storage, store, Totals, counters } = setup();
    for (const id of ['a', 'b', 'c', 'd', 'e']) await counters.execute(id, 'add', { n: 1 });
    const runner = createProjectionRunner(store, Totals, { partitions: 2 });
    await runner.start();
    await runner.waitUntilCaughtUp();
    await runner.stop();
    expect((await projectionVersions(store, Totals)).versions).toEqual([
      { version: 1, state: 'live', position: 5, lag: 0 },
    ]);
    // One partition behind: the version is as far as that partition.
    await storage.saveCheckpoint('projection:totals@1#p1/2', 3);
    expect((await projectionVersions(store, Totals)).versions).toEqual([
      { version: 1, state: 'live', position: 3, lag: 2 },
    ]);

    await rebuildProjection(store, Totals);
    expect(await pruneProjection(store, Totals, { version: 1 })).toMatchObject({ checkpoint: true });
    const left = (await storage.admin?.listCheckpoints())?.map((checkpoint) => checkpoint.consumerId);
    expect(left?.filter((id) => id.startsWith('projection:totals@1'))).toEqual([]);
    expect((await projectionVersions(store, Totals)).versions.map((v) => v.version)).toEqual([2]);
  });
});
