import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HindsightError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import { defineStreamType } from '../events/event-catalog.js';
import { createInMemoryStorage, type InMemoryTransaction } from '../memory/in-memory-storage.js';
import { defineProjection } from '../projections/define-projection.js';
import { createProjectionRunner } from '../projections/projection-runner.js';
import type { EventStorage } from '../streams/event-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { createSubscription } from './create-subscription.js';

const Counter = defineStreamType('Counter', { Added: z.object({ n: z.number() }) });

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await sleep(5);
  }
}

/**
 * A view of `storage` (and of its capability objects) whose calls fail as if the database were
 * unreachable while `down()` says so.
 */
function flaky<Target extends object>(storage: Target, down: () => boolean): Target {
  return new Proxy(storage, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value === 'object' && value !== null) return flaky(value, down);
      if (typeof value !== 'function') return value;
      if (property === 'onAppended' || property === 'close') return value.bind(target);
      return (...args: unknown[]) =>
        down()
          ? Promise.reject(
              new HindsightError('STORAGE_UNAVAILABLE', 'connection lost (test)', { retryable: true }),
            )
          : (value as (...args: unknown[]) => unknown).apply(target, args);
    },
  });
}

async function addEvents(store: ReturnType<typeof createEventStore>, count: number, from = 0): Promise<void> {
  for (let n = from; n < from + count; n += 1) {
    await store.append(`c-${n % 3}`, [{ type: 'Added', data: { n } }], { streamType: 'Counter' });
  }
}

describe('consumers sharing a lease', () => {
  it('run one at a time: the standby waits, shows the holder, and takes over where the owner stopped', async () => {
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [Counter] });
    const seen: { readonly by: string; readonly position: number }[] = [];
    const consumer = (by: string) =>
      createSubscription(store, {
        name: 'shared',
        lease: { owner: by, ttlMs: 2_000, retryMs: 10 },
        pollIntervalMs: 20,
        handle: (event: StoredEvent) => void seen.push({ by, position: event.position }),
      });
    const first = consumer('first');
    const second = consumer('second');
    await first.start();
    await second.start();
    await addEvents(store, 10);
    await first.waitUntilCaughtUp();
    const standing = await second.status();
    expect(standing.lease).toMatchObject({ owner: 'second', held: false, holder: 'first' });
    expect(standing.waitingFor).toMatchObject({ kind: 'lease', holder: 'first' });
    expect((await first.status()).lease).toMatchObject({ owner: 'first', held: true, holder: 'first' });

    await first.stop();
    await addEvents(store, 10, 10);
    await waitFor(async () => (await second.status()).lease?.held === true);
    await second.waitUntilCaughtUp();
    await second.stop();

    expect(seen.map((entry) => entry.position)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(seen.slice(0, 10).every((entry) => entry.by === 'first')).toBe(true);
    expect(seen.slice(10).every((entry) => entry.by === 'second')).toBe(true);
  });

  it('hand over when the owner loses the storage: the standby takes the expired lease, the old owner is fenced off', async () => {
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [Counter] });
    let cutOff = false;
    const applied: { readonly by: string; readonly position: number }[] = [];
    const consumer = (by: string, view: EventStorage<InMemoryTransaction>) =>
      createSubscription(createEventStore({ storage: view, events: [Counter] }), {
        name: 'fenced',
        lease: { owner: by, ttlMs: 150, retryMs: 10 },
        pollIntervalMs: 10,
        retry: { initialDelayMs: 5, maxDelayMs: 20 },
        handle: (event: StoredEvent, { transaction }) => {
          // The effect commits with the checkpoint: undone if the transaction rolls back.
          const entry = { by, position: event.position };
          applied.push(entry);
          transaction.onRollback(() => applied.splice(applied.indexOf(entry), 1));
        },
      });
    const owner = consumer(
      'owner',
      flaky(storage, () => cutOff),
    );
    const standby = consumer('standby', storage);
    await owner.start();
    await standby.start();
    await addEvents(store, 5);
    await owner.waitUntilCaughtUp();

    cutOff = true;
    await addEvents(store, 5, 5);
    await waitFor(async () => (await standby.status()).lease?.held === true);
    await standby.waitUntilCaughtUp();
    const during = await owner.status();
    expect(during.waitingFor.kind).toBe('storage-unavailable');
    expect(during.lastError).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(during.state).not.toBe('failed');

    cutOff = false;
    await waitFor(async () => (await owner.status()).waitingFor.kind === 'lease');
    await addEvents(store, 5, 10);
    await standby.waitUntilCaughtUp();
    await owner.stop();
    await standby.stop();

    expect(applied.map((entry) => entry.position)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(applied.slice(0, 5).every((entry) => entry.by === 'owner')).toBe(true);
    expect(applied.slice(5).every((entry) => entry.by === 'standby')).toBe(true);
  });

  it('keep retrying through a storage outage and resume by themselves, never failing', async () => {
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [Counter] });
    let down = false;
    const seen: number[] = [];
    const subscription = createSubscription(
      createEventStore({ storage: flaky(storage, () => down), events: [Counter] }),
      {
        name: 'outage',
        pollIntervalMs: 10,
        retry: { attempts: 2, initialDelayMs: 5, maxDelayMs: 20 },
        handle: (event: StoredEvent) => void seen.push(event.position),
      },
    );
    await subscription.start();
    await addEvents(store, 3);
    await subscription.waitUntilCaughtUp();
    down = true;
    await addEvents(store, 3, 3);
    await sleep(150);
    const status = await subscription.status();
    expect(status.state).not.toBe('failed');
    expect(status.waitingFor).toMatchObject({ kind: 'storage-unavailable' });
    expect(status.head).toBeGreaterThanOrEqual(3);
    down = false;
    await subscription.waitUntilCaughtUp();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await subscription.status()).state).toBe('running');
    await subscription.stop();
  });
});

describe('projection rebuilds', () => {
  const rows = new Map<number, Map<string, number>>();
  const Totals = defineProjection('totals', { from: [Counter] })
    .withTransaction<InMemoryTransaction>()
    .on('Added', (event, { version }) => {
      const table = rows.get(version) ?? new Map<string, number>();
      rows.set(version, table);
      table.set(event.streamId, (table.get(event.streamId) ?? 0) + event.data.n);
    })
    .onReset(({ version }) => void rows.delete(version));

  it('cancelled mid-way, resume from their own checkpoint and switch; readers keep the live version meanwhile', async () => {
    rows.clear();
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [Counter] });
    await addEvents(store, 30);
    const runner = createProjectionRunner(store, Totals, { batchSize: 5 });
    await runner.start();
    await runner.waitUntilCaughtUp();
    const live = new Map(rows.get(1));

    const controller = new AbortController();
    const progress: number[] = [];
    await expect(
      runner.rebuild({
        signal: controller.signal,
        onProgress: ({ position }) => {
          progress.push(position);
          if (position >= 12) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CONSUMER_STOPPED' });
    expect(await runner.activeVersion()).toBe(1);
    expect(rows.get(1)).toEqual(live);
    const stoppedAt = (await storage.loadCheckpoint('projection:totals@2')) ?? 0;
    expect(stoppedAt).toBeGreaterThanOrEqual(12);
    expect(stoppedAt).toBeLessThan(30);

    await addEvents(store, 6, 30);
    const resumed = await runner.rebuild();
    expect(resumed).toMatchObject({ version: 2, previousVersion: 1, resumed: true, events: 36 - stoppedAt });
    await runner.waitUntilCaughtUp();
    expect(await runner.activeVersion()).toBe(2);
    const replay = new Map<string, number>();
    for (let n = 0; n < 36; n += 1) replay.set(`c-${n % 3}`, (replay.get(`c-${n % 3}`) ?? 0) + n);
    expect(rows.get(2)).toEqual(replay);
    expect(rows.get(1)).toEqual(replay);
    await runner.stop();
  });
});
