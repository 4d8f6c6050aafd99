import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { isHindsightError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import { defineStreamType } from '../events/event-catalog.js';
import { createInMemoryStorage, type InMemoryTransaction } from '../memory/in-memory-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { createSubscription } from './create-subscription.js';

const Counter = defineStreamType('Counter', { Added: z.object({ n: z.number() }) });
const Audit = defineStreamType('Audit', { Noted: z.object({ text: z.string() }) });

function setup(clock?: () => Date) {
  const storage = createInMemoryStorage(clock === undefined ? {} : { clock });
  return createEventStore({ storage, events: [Counter, Audit] });
}

describe('createSubscription', () => {
  it('sees every event exactly once, in order, under 16 concurrent writers', async () => {
    const store = setup();
    const seen: StoredEvent[] = [];
    const subscription = createSubscription(store, {
      name: 'all',
      batchSize: 7,
      handle: (event) => {
        seen.push(event);
      },
    });
    // Some history before the start, so catch-up and live both happen.
    await store.append('c-seed', [{ type: 'Added', data: { n: -1 } }], { streamType: 'Counter' });
    await subscription.start();
    const perWriter = 40;
    await Promise.all(
      Array.from({ length: 16 }, async (_, writer) => {
        for (let n = 0; n < perWriter; n += 1) {
          // Half the writers share one stream and race on it; 'any' lets every append land.
          const streamId = writer % 2 === 0 ? 'c-shared' : `c-${writer}`;
          await store.append(streamId, [{ type: 'Added', data: { n } }], { streamType: 'Counter' });
          if (n % 5 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      }),
    );
    await subscription.waitUntilCaughtUp();
    await subscription.stop();

    const total = 16 * perWriter + 1;
    expect(seen.map((event) => event.position)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(new Set(seen.map((event) => event.eventId)).size).toBe(total);
    const shared = seen.filter((event) => event.streamId === 'c-shared').map((event) => event.version);
    expect(shared).toEqual(Array.from({ length: 8 * perWriter }, (_, i) => i + 1));
  });

  it('starts from the end when asked, saves that point at once, and resumes there after a restart', async () => {
    const store = setup();
    for (let n = 0; n < 3; n += 1) {
      await store.append('c-old', [{ type: 'Added', data: { n } }], { streamType: 'Counter' });
    }
    const seen: number[] = [];
    const options = {
      name: 'from-end',
      startFrom: 'end' as const,
      handle: (event: StoredEvent) => void seen.push(event.position),
    };
    const first = createSubscription(store, options);
    await first.start();
    expect(await store.storage.loadCheckpoint('subscription:from-end')).toBe(3);
    await first.stop();
    // Appended while no runner is up: after the saved starting point, so still handled.
    await store.append('c-new', [{ type: 'Added', data: { n: 4 } }], { streamType: 'Counter' });
    const second = createSubscription(store, options);
    await second.start();
    await second.waitUntilCaughtUp();
    await second.stop();
    expect(seen).toEqual([4]);
    // A consumer without the option still starts from the beginning.
    const fromStart: number[] = [];
    const all = createSubscription(store, {
      name: 'from-start',
      handle: (event) => void fromStart.push(event.position),
    });
    await all.start();
    await all.waitUntilCaughtUp();
    await all.stop();
    expect(fromStart).toEqual([1, 2, 3, 4]);
  });

  it('starts after a given position, and over from the beginning once its checkpoint is deleted', async () => {
    const store = setup();
    for (let n = 1; n <= 4; n += 1) {
      await store.append(`c-${n}`, [{ type: 'Added', data: { n } }], { streamType: 'Counter' });
    }
    const seen: number[] = [];
    const options = {
      name: 'from-position',
      startFrom: { position: 2 },
      handle: (event: StoredEvent) => void seen.push(event.position),
    };
    const first = createSubscription(store, options);
    await first.start();
    await first.waitUntilCaughtUp();
    await first.stop();
    expect(seen).toEqual([3, 4]);
    expect(await store.storage.loadCheckpoint('subscription:from-position')).toBe(4);
    await store.deleteCheckpoint('subscription:from-position');
    expect(await store.storage.loadCheckpoint('subscription:from-position')).toBeUndefined();
    const again = createSubscription(store, { ...options, startFrom: 'beginning' as const });
    await again.start();
    await again.waitUntilCaughtUp();
    await again.stop();
    expect(seen).toEqual([3, 4, 1, 2, 3, 4]);
    for (const startFrom of [{ position: -1 }, { position: 1.5 }, { at: 3 }, 'middle']) {
      expect(() => createSubscription(store, { ...options, startFrom } as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });

  it('started again after its checkpoint is deleted, the same subscription handles the log again', async () => {
    const store = setup();
    for (let n = 1; n <= 3; n += 1) {
      await store.append(`c-${n}`, [{ type: 'Added', data: { n } }], { streamType: 'Counter' });
    }
    const seen: number[] = [];
    const subscription = createSubscription(store, {
      name: 'replayed',
      batchSize: 2,
      handle: (event) => void seen.push(event.position),
    });
    await subscription.start();
    await subscription.waitUntilCaughtUp();
    await subscription.stop();
    await store.deleteCheckpoint('subscription:replayed');
    await subscription.start();
    await subscription.waitUntilCaughtUp();
    await subscription.stop();
    expect(seen).toEqual([1, 2, 3, 1, 2, 3]);
    expect(await store.storage.loadCheckpoint('subscription:replayed')).toBe(3);
  });

  it('resumes after a restart from its checkpoint, without repeats', async () => {
    const store = setup();
    const seen: number[] = [];
    const options = { name: 'resume', handle: (event: StoredEvent) => void seen.push(event.position) };
    const first = createSubscription(store, options);
    await first.start();
    for (let n = 0; n < 5; n += 1) {
      await store.append('c-1', [{ type: 'Added', data: { n } }], { streamType: 'Counter' });
    }
    await first.waitUntilCaughtUp();
    await first.stop();
    for (let n = 5; n < 8; n += 1) {
      await store.append('c-1', [{ type: 'Added', data: { n } }], { streamType: 'Counter' });
    }
    const second = createSubscription(store, options);
    await second.start();
    await second.waitUntilCaughtUp();
    await second.stop();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await store.storage.loadCheckpoint('subscription:resume')).toBe(8);
  });

  it('filters by stream type and event type, and moves its checkpoint past skipped events', async () => {
    const store = setup();
    const seen: string[] = [];
    const subscription = createSubscription(store, {
      name: 'counters',
      streamTypes: ['Counter'],
      types: ['Added'],
      handle: (event) => void seen.push(event.streamId),
    });
    await store.append('c-1', [{ type: 'Added', data: { n: 1 } }], { streamType: 'Counter' });
    await store.append('a-1', [{ type: 'Noted', data: { text: 'x' } }], { streamType: 'Audit' });
    await store.append('a-2', [{ type: 'Noted', data: { text: 'y' } }], { streamType: 'Audit' });
    await subscription.start();
    await subscription.waitUntilCaughtUp();
    await subscription.stop();
    expect(seen).toEqual(['c-1']);
    expect(await store.storage.loadCheckpoint('subscription:counters')).toBe(3);
  });

  it('rolls back the effect with the checkpoint when the handler fails, retries, then fails without skipping', async () => {
    const store = setup();
    const applied: number[] = [];
    let failures = 0;
    const subscription = createSubscription(store, {
      name: 'flaky',
      retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 },
      handle: (event, { transaction }: { transaction: InMemoryTransaction }) => {
        applied.push(event.position);
        transaction.onRollback(() => applied.pop());
        if (event.position === 2) {
          failures += 1;
          throw new Error('boom');
        }
      },
    });
    await store.append('c-1', [{ type: 'Added', data: { n: 1 } }], { streamType: 'Counter' });
    await store.append('c-1', [{ type: 'Added', data: { n: 2 } }], { streamType: 'Counter' });
    await store.append('c-1', [{ type: 'Added', data: { n: 3 } }], { streamType: 'Counter' });
    await subscription.start();
    const failure = await subscription.waitUntilCaughtUp().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isHindsightError(failure, 'HANDLER_FAILED')).toBe(true);
    expect(String((failure as Error).message)).toContain('Consumer "flaky" failed on Added event');
    // The page failed once as a whole, then the event was tried on its own, three times.
    expect(failures).toBe(4);
    expect(applied).toEqual([1]);
    const status = await subscription.status();
    expect(status).toMatchObject({ state: 'failed', position: 1, head: 3, lag: { events: 2 } });
    expect(isHindsightError(status.lastError, 'HANDLER_FAILED')).toBe(true);
    expect(await store.storage.loadCheckpoint('subscription:flaky')).toBe(1);
    await subscription.stop();
    expect((await subscription.status()).state).toBe('stopped');
  });

  it('reports position, head, lag and what it waits for', async () => {
    let now = new Date('2030-01-01T00:00:00.000Z');
    const store = setup(() => now);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const subscription = createSubscription(store, {
      name: 'slow',
      clock: () => now,
      handle: async (event) => {
        if (event.position === 1) await gate;
      },
    });
    expect(await subscription.status()).toMatchObject({
      state: 'stopped',
      position: 0,
      head: 0,
      lag: { events: 0, ms: 0 },
      waitingFor: { kind: 'nothing' },
    });
    await store.append('c-1', [{ type: 'Added', data: { n: 1 } }], { streamType: 'Counter' });
    now = new Date('2030-01-01T00:00:05.000Z');
    await store.append('c-1', [{ type: 'Added', data: { n: 2 } }], { streamType: 'Counter' });
    now = new Date('2030-01-01T00:00:10.000Z');
    await subscription.start();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const busy = await subscription.status();
    expect(busy).toMatchObject({
      state: 'catching_up',
      position: 0,
      head: 2,
      lag: { events: 2, ms: 10_000 },
      waitingFor: { kind: 'handler', event: { position: 1, streamId: 'c-1', type: 'Added' } },
    });
    release();
    await subscription.waitUntilCaughtUp();
    // Caught up resolves once the position is reached; the loop goes idle a few turns later.
    await vi.waitFor(async () => expect((await subscription.status()).state).toBe('running'));
    const idle = await subscription.status();
    expect(idle).toMatchObject({
      state: 'running',
      position: 2,
      head: 2,
      lag: { events: 0, ms: 0 },
      waitingFor: { kind: 'new-events' },
      handled: 2,
      lastError: undefined,
    });
    await subscription.stop();
  });

  it('stops promptly from an idle wait and leaves no timer behind', async () => {
    // Fake timers count exactly the consumer's own timers, whatever else the test process runs.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const store = setup();
      const subscription = createSubscription(store, {
        name: 'idle',
        pollIntervalMs: 60_000,
        handle: () => {},
      });
      await subscription.start();
      await subscription.waitUntilCaughtUp();
      await vi.advanceTimersByTimeAsync(0);
      expect((await subscription.status()).waitingFor).toEqual({ kind: 'new-events' });
      expect(vi.getTimerCount()).toBe(1);
      await subscription.stop();
      expect(vi.getTimerCount()).toBe(0);
      await expect(subscription.waitUntilCaughtUp()).resolves.toBeUndefined();
      await store.append('c-1', [{ type: 'Added', data: { n: 1 } }], { streamType: 'Counter' });
      await expect(subscription.waitUntilCaughtUp()).rejects.toMatchObject({ code: 'CONSUMER_STOPPED' });
    } finally {
      vi.useRealTimers();
    }
  });
});
