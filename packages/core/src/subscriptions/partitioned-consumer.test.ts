import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isHindsightError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import { defineStreamType } from '../events/event-catalog.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { ConsumerRunner } from './consumer-runner.js';
import { createSubscription } from './create-subscription.js';
import { fnv1a, partitionCheckpointId, partitionOf, partitionOwners } from './partitions.js';

const Counter = defineStreamType('Counter', { Added: z.object({ n: z.number() }) });

function setup() {
  return createEventStore({ storage: createInMemoryStorage(), events: [Counter] });
}

async function appendMany(store: ReturnType<typeof setup>, streams: number, perStream: number, from = 0) {
  for (let n = from; n < from + perStream; n += 1) {
    for (let s = 0; s < streams; s += 1) {
      await store.append(`c-${s}`, [{ type: 'Added', data: { n } }], { streamType: 'Counter' });
    }
  }
}

async function eventually(check: () => Promise<boolean> | boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Per stream, the versions handled must be 1, 2, 3… once each. */
function expectOncePerStreamInOrder(seen: readonly StoredEvent[], streams: number, perStream: number) {
  expect(new Set(seen.map((event) => event.eventId)).size).toBe(seen.length);
  for (let s = 0; s < streams; s += 1) {
    const versions = seen.filter((event) => event.streamId === `c-${s}`).map((event) => event.version);
    expect(versions).toEqual(Array.from({ length: perStream }, (_, i) => i + 1));
  }
}

describe('partition routing', () => {
  it('hashes stream ids with FNV-1a, stable and in range', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
    for (const id of ['Order-1', 'Order-2', 'x', '']) {
      const partition = partitionOf(id, 8);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(8);
      expect(partitionOf(id, 8)).toBe(partition);
    }
    expect(partitionCheckpointId('projection:orders@2', 3, 8)).toBe('projection:orders@2#p3/8');
  });

  it('routes by a partition key instead of the stream id when the kind gives one', async () => {
    const store = setup();
    await appendMany(store, 6, 5);
    const handled = new Map<number, StoredEvent[]>();
    const keyOf = (event: StoredEvent) => `key-${(event.data as { n: number }).n}`;
    const runners = [0, 1, 2].map(
      (index) =>
        new ConsumerRunner(
          store.storage,
          {
            name: 'keyed',
            checkpointId: partitionCheckpointId('keyed', index, 3),
            partition: { index, count: 3, baseCheckpointId: 'keyed' },
            partitionKey: keyOf,
            reader: store.reader,
          },
          {
            delivery: 'exactly-once',
            async applyPage(events) {
              handled.set(index, [...(handled.get(index) ?? []), ...events]);
            },
          },
          { lease: false, batchSize: 4 },
        ),
    );
    for (const runner of runners) await runner.start();
    for (const runner of runners) await runner.waitUntilCaughtUp();
    for (const runner of runners) await runner.stop();
    const all = [...handled.values()].flat();
    expect(all).toHaveLength(30);
    for (const [index, events] of handled) {
      // Every event of a key in one partition, whatever its stream: a stream's events are spread.
      expect(events.every((event) => partitionOf(keyOf(event), 3) === index)).toBe(true);
    }
    expect(new Set(all.map((event) => event.eventId)).size).toBe(30);
  });

  it('gives each partition one owner, an even share to each member, the same in every member order', () => {
    const shares = (owners: readonly (string | undefined)[]) =>
      owners.reduce(
        (count, owner) => count.set(owner, (count.get(owner) ?? 0) + 1),
        new Map<unknown, number>(),
      );
    for (const members of [
      ['a', 'b'],
      ['worker-1', 'worker-2', 'worker-3'],
      ['p', 'q', 'r', 's'],
    ]) {
      for (const count of [1, 2, 3, 4, 7, 8, 64]) {
        const owners = partitionOwners(members, count);
        expect(owners.every((owner) => owner !== undefined && members.includes(owner))).toBe(true);
        for (const share of shares(owners).values()) {
          expect(share).toBeLessThanOrEqual(Math.ceil(count / members.length));
        }
        expect(partitionOwners([...members].reverse(), count)).toEqual(owners);
      }
    }
    // 4 partitions over 2 members: 2 each, where plain rendezvous hashing leaves 3 and 1 or 4 and 0
    // half the time.
    expect([...shares(partitionOwners(['worker-1', 'worker-2'], 4)).values()]).toEqual([2, 2]);
    expect(partitionOwners([], 4)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('moves the leaver’s partitions, and few others, when a member leaves', () => {
    const before = partitionOwners(['a', 'b', 'c'], 64);
    const after = partitionOwners(['a', 'b'], 64);
    expect(after.every((owner) => owner === 'a' || owner === 'b')).toBe(true);
    const survivorsMoved = before.filter((owner, p) => owner !== 'c' && after[p] !== owner).length;
    expect(survivorsMoved).toBeLessThanOrEqual(64 / 8);
  });
});

describe('partitioned consumers', () => {
  it('one instance runs every partition: each event once, per-stream order, status per partition', async () => {
    const store = setup();
    await appendMany(store, 10, 5);
    const seen: StoredEvent[] = [];
    const consumer = createSubscription(store, {
      name: 'split',
      partitions: 4,
      batchSize: 7,
      lease: { owner: 'solo' },
      handle: (event) => void seen.push(event),
    });
    await consumer.start();
    await appendMany(store, 10, 5, 5);
    await consumer.waitUntilCaughtUp();
    const status = await consumer.status();
    await consumer.stop();
    expectOncePerStreamInOrder(seen, 10, 10);
    expect(
      status.partitions?.map(({ index, owner, position, local }) => ({ index, owner, position, local })),
    ).toEqual([0, 1, 2, 3].map((index) => ({ index, owner: 'solo', position: 100, local: true })));
    expect(status.position).toBe(100);
    expect(status.handled).toBe(100);
    for (let index = 0; index < 4; index += 1) {
      expect(await store.storage.loadCheckpoint(`subscription:split#p${index}/4`)).toBe(100);
    }
  });

  it('instances share the partitions, and a stopping one hands its share over at once', async () => {
    const store = setup();
    const seen: StoredEvent[] = [];
    const make = (owner: string) =>
      createSubscription(store, {
        name: 'shared',
        partitions: 8,
        lease: { owner, ttlMs: 400 },
        handle: (event, { transaction }) => {
          void transaction;
          seen.push(event);
        },
      });
    const a = make('a');
    const b = make('b');
    await a.start();
    await b.start();
    const owners = async () => ((await a.status()).partitions ?? []).map((partition) => partition.owner);
    // Both members seen by both: they split the eight between them, four each.
    await eventually(async () => new Set(await owners()).size === 2);
    const statusB = await b.status();
    const localA = ((await a.status()).partitions ?? []).filter((p) => p.local).map((p) => p.index);
    const localB = (statusB.partitions ?? []).filter((p) => p.local).map((p) => p.index);
    expect([...localA, ...localB].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([localA.length, localB.length]).toEqual([4, 4]);
    await appendMany(store, 12, 4);
    await a.waitUntilCaughtUp();
    await b.stop();
    await appendMany(store, 12, 4, 4);
    // Sooner than b's leases would lapse: it released them when it stopped.
    await eventually(async () => (await owners()).every((owner) => owner === 'a'), 350);
    await a.waitUntilCaughtUp();
    await a.stop();
    expectOncePerStreamInOrder(seen, 12, 8);
  });

  it('takes a dead instance’s partitions over once its leases lapse', async () => {
    const store = setup();
    const seen: StoredEvent[] = [];
    const make = (owner: string) =>
      createSubscription(store, {
        name: 'failover',
        partitions: 4,
        lease: { owner, ttlMs: 200 },
        handle: (event) => void seen.push(event),
      });
    const survivor = make('survivor');
    const doomed = make('doomed');
    await survivor.start();
    await doomed.start();
    await eventually(async () => ((await doomed.status()).partitions ?? []).some((p) => p.local));
    // A crash: its leases and its member document stay behind, to lapse.
    const { leases, documents } = store.storage;
    if (leases === undefined || documents === undefined) throw new Error('memory storage has both');
    const release = leases.release.bind(leases);
    const remove = documents.delete.bind(documents);
    leases.release = async (name, owner) => (owner === 'doomed' ? undefined : release(name, owner));
    documents.delete = async (collection, key, transaction) =>
      key.endsWith('/doomed') ? undefined : remove(collection, key, transaction);
    await doomed.stop();
    leases.release = release;
    documents.delete = remove;
    await appendMany(store, 6, 3);
    await eventually(
      async () => ((await survivor.status()).partitions ?? []).every((p) => p.owner === 'survivor'),
      3_000,
    );
    await survivor.waitUntilCaughtUp();
    await survivor.stop();
    expectOncePerStreamInOrder(seen, 6, 3);
  });

  it('saves the head as checkpoint when a partition’s last pages held only other partitions’ events', async () => {
    const store = setup();
    const ids = Array.from({ length: 20 }, (_, i) => `s-${i}`);
    const first = ids.find((id) => partitionOf(id, 2) === 0) ?? '';
    const second = ids.find((id) => partitionOf(id, 2) === 1) ?? '';
    const added = Array.from({ length: 10 }, (_, n) => ({ type: 'Added' as const, data: { n } }));
    await store.append(first, added, { streamType: 'Counter' });
    await store.append(second, added, { streamType: 'Counter' });
    const consumer = createSubscription(store, {
      name: 'tail',
      partitions: 2,
      batchSize: 5,
      handle: () => undefined,
    });
    await consumer.start();
    await consumer.waitUntilCaughtUp();
    await eventually(async () => (await store.storage.loadCheckpoint('subscription:tail#p0/2')) === 20);
    await consumer.stop();
    expect(await store.storage.loadCheckpoint('subscription:tail#p1/2')).toBe(20);
  });

  it('refuses to resume with another partition count, or without partitions', async () => {
    const store = setup();
    await appendMany(store, 3, 2);
    const options = { name: 'counted', handle: () => undefined };
    const four = createSubscription(store, { ...options, partitions: 4 });
    await four.start();
    await four.waitUntilCaughtUp();
    await four.stop();
    for (const partitions of [2, undefined]) {
      const other = createSubscription(
        store,
        partitions === undefined ? options : { ...options, partitions },
      );
      const error = await other.start().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(isHindsightError(error, 'PARTITION_COUNT_CHANGED')).toBe(true);
      if (isHindsightError(error, 'PARTITION_COUNT_CHANGED')) {
        expect(error.stored).toBe(4);
        expect(error.requested).toBe(partitions ?? 1);
        expect(error.consumer).toBe('counted');
      }
      expect((await other.status()).state).toBe('stopped');
    }
  });

  it('partitions start where the unpartitioned checkpoint stands (after a rebuild’s switch)', async () => {
    const store = setup();
    await appendMany(store, 4, 2);
    const seen: number[] = [];
    const handle = (event: StoredEvent) => void seen.push(event.position);
    const single = createSubscription(store, { name: 'moved', handle });
    await single.start();
    await single.waitUntilCaughtUp();
    await single.stop();
    await appendMany(store, 4, 1, 2);
    const split = createSubscription(store, { name: 'moved', partitions: 3, handle });
    await split.start();
    await split.waitUntilCaughtUp();
    await split.stop();
    expect([...seen].sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });
});
