import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { StoredEvent } from '../events/event.js';
import { defineStreamType } from '../events/event-catalog.js';
import { defineListener } from '../listeners/define-listener.js';
import { createListenerRunner } from '../listeners/listener-runner.js';
import { createInMemoryStorage, type InMemoryTransaction } from '../memory/in-memory-storage.js';
import type { EventStorage } from '../streams/event-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { consumerCheckpointId } from './checkpoint-id.js';
import { type ConsumerFailure, listConsumerFailures, requestConsumerRestart } from './consumer-failures.js';
import { createSubscription } from './create-subscription.js';

const Counter = defineStreamType('Counter', { Added: z.object({ n: z.number() }) });

function setup(storage: EventStorage<InMemoryTransaction> = createInMemoryStorage()) {
  const store = createEventStore({ storage, events: [Counter] });
  const add = (n: number) =>
    store.append(`c-${n}`, [{ type: 'Added', data: { n } }], { streamType: 'Counter' });
  return { store, add };
}

const fast = { retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 2 } };

describe('checkpoint ids', () => {
  it("lead with the kind, so a subscription named like another kind's id keeps its own checkpoint", async () => {
    const { store, add } = setup();
    for (const n of [1, 2, 3]) await add(n);
    const Tally = defineListener('tally', { from: [Counter] }).on('Added', () => undefined);
    const listener = createListenerRunner(store, Tally);
    await listener.start();
    await listener.waitUntilCaughtUp();
    await listener.stop();
    const seen: number[] = [];
    const impostor = createSubscription(store, {
      name: 'listener:tally',
      handle: (event) => void seen.push(event.position),
    });
    await impostor.start();
    await impostor.waitUntilCaughtUp();
    await impostor.stop();
    expect(seen).toEqual([1, 2, 3]);
    expect(await store.storage.loadCheckpoint('listener:tally')).toBe(3);
    expect(await store.storage.loadCheckpoint('subscription:listener:tally')).toBe(3);
  });

  it('are <kind>:<name>, with the version last for projections', () => {
    expect(consumerCheckpointId('subscription', 'process:x')).toBe('subscription:process:x');
    expect(consumerCheckpointId('process', 'x')).toBe('process:x');
    expect(consumerCheckpointId('listener', 'x')).toBe('listener:x');
    expect(consumerCheckpointId('projection', 'orders', 2)).toBe('projection:orders@2');
  });
});

describe('delivery modes', () => {
  it('exactly once: a failing page rolls back its effects with its checkpoint, then commits up to the event at fault', async () => {
    const { store, add } = setup();
    for (const n of [1, 2, 3]) await add(n);
    const subscription = createSubscription(store, {
      name: 'counting',
      batchSize: 10,
      ...fast,
      handle: async (event, { transaction }) => {
        if (event.position === 3) throw new Error('bad event');
        const count = (await store.storage.documents?.get('counts', 'all', transaction))?.value as
          | number
          | undefined;
        await store.storage.documents?.put('counts', 'all', (count ?? 0) + 1, transaction);
      },
    });
    await subscription.start();
    await expect(subscription.waitUntilCaughtUp()).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
    await subscription.stop();
    // The page of three failed as a whole (nothing of it stayed), then events 1 and 2 committed
    // one by one: each counted once, and the checkpoint stands before the event at fault.
    expect((await store.storage.documents?.get('counts', 'all'))?.value).toBe(2);
    expect(await store.storage.loadCheckpoint('subscription:counting')).toBe(2);
  });

  it("at least once: a listener's effect happens before its checkpoint, and again if the checkpoint is lost", async () => {
    const inner = createInMemoryStorage();
    let failCheckpoints = 1;
    // A crash between the effect and the checkpoint: the first checkpoint write fails.
    const storage = new Proxy(inner, {
      get(target, property) {
        if (property === 'saveCheckpoint') {
          return (id: string, position: number, tx?: InMemoryTransaction) =>
            id === 'listener:mailer' && failCheckpoints-- > 0
              ? Promise.reject(new Error('crash before the checkpoint'))
              : target.saveCheckpoint(id, position, tx);
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { store, add } = setup(storage);
    await add(1);
    const sent: { position: number; checkpoint: number | undefined }[] = [];
    const Mailer = defineListener('mailer', { from: [Counter] }).on('Added', async (event: StoredEvent) => {
      sent.push({ position: event.position, checkpoint: await inner.loadCheckpoint('listener:mailer') });
    });
    const runner = createListenerRunner(store, Mailer, { ...fast, lease: false });
    await runner.start();
    await runner.waitUntilCaughtUp();
    await runner.stop();
    // Both tries sent before any checkpoint existed: the lost checkpoint repeated the effect.
    expect(sent).toEqual([
      { position: 1, checkpoint: undefined },
      { position: 1, checkpoint: undefined },
    ]);
    expect(await runner.deadLetters()).toEqual([]);
    expect(await inner.loadCheckpoint('listener:mailer')).toBe(1);
  });
});

describe('round trips', () => {
  it('a catch-up reads the head once for all the pages below it, and still sees events appended meanwhile', async () => {
    const storage = createInMemoryStorage();
    const { store, add } = setup(storage);
    for (let n = 1; n <= 50; n += 1) await add(n);
    const headPosition = vi.spyOn(storage, 'headPosition');
    const seen: number[] = [];
    let appendedMeanwhile: Promise<unknown> | undefined;
    const subscription = createSubscription(store, {
      name: 'paging',
      batchSize: 5,
      handle: async (event) => {
        seen.push(event.data.n);
        // Appended while the runner pages below the head it read (not awaited: the memory
        // storage's appends wait for the page's transaction): found after that head.
        if (event.data.n === 25) appendedMeanwhile = add(51);
      },
    });
    await subscription.start();
    await subscription.waitUntilCaughtUp();
    await appendedMeanwhile;
    await subscription.waitUntilCaughtUp();
    await subscription.stop();
    expect(seen).toEqual(Array.from({ length: 51 }, (_, index) => index + 1));
    // start() reads it, the first step reads it, the ten pages below it read none; two more reads
    // find event 51 and then nothing new. Before: one read per page.
    expect(headPosition.mock.calls.length).toBeLessThanOrEqual(5);
  });
});

describe('failures', () => {
  it('a consumer that gives up reports it to onError and records it in the store; start() resumes at the event and clears it', async () => {
    const { store, add } = setup();
    for (const n of [1, 2, 3]) await add(n);
    let broken = true;
    const seen: number[] = [];
    const reported: ConsumerFailure[] = [];
    const subscription = createSubscription(store, {
      name: 'audit',
      ...fast,
      onError: (failure) => void reported.push(failure),
      handle: (event) => {
        if (broken && event.position === 2) throw new Error('audit table missing');
        seen.push(event.position);
      },
    });
    await subscription.start();
    await expect(subscription.waitUntilCaughtUp()).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
    const status = await subscription.status();
    expect(status.state).toBe('failed');
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({
      consumer: 'audit',
      checkpointId: 'subscription:audit',
      event: { position: 2, type: 'Added', streamId: 'c-2' },
      attempts: 2,
      position: 1,
    });
    expect(reported[0]?.error.message).toContain('audit table missing');
    expect(status.failure).toBe(reported[0]);
    const [record] = await listConsumerFailures(store);
    expect(record).toMatchObject({
      consumer: 'audit',
      checkpointId: 'subscription:audit',
      state: 'failed',
      position: 1,
      event: { position: 2, type: 'Added', streamId: 'c-2' },
      error: { name: 'Error', message: 'audit table missing' },
      attempts: 2,
      owner: status.lease?.owner,
    });
    expect(new Date(record?.failedAt ?? '').getTime()).toBe(reported[0]?.failedAt.getTime());

    broken = false;
    seen.length = 0;
    await subscription.start();
    await subscription.waitUntilCaughtUp();
    await subscription.stop();
    // Restarted in the same process, at the event it failed on.
    expect(seen).toEqual([2, 3]);
    expect((await subscription.status()).failure).toBeUndefined();
    expect(await listConsumerFailures(store)).toEqual([]);
  });

  it("the owner that gets past the failing event clears a previous owner's record", async () => {
    const { store, add } = setup();
    for (const n of [1, 2]) await add(n);
    const failing = createSubscription(store, {
      name: 'audit',
      ...fast,
      handle: (event) => {
        if (event.position === 2) throw new Error('bug');
      },
    });
    await failing.start();
    await expect(failing.waitUntilCaughtUp()).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
    expect(await listConsumerFailures(store)).toHaveLength(1);
    // The fixed code, deployed as another runner (another process), takes over the released lease.
    const fixed = createSubscription(store, { name: 'audit', ...fast, handle: () => undefined });
    await fixed.start();
    // Before the failing event the record stays: the consumer has not recovered yet.
    expect(await listConsumerFailures(store)).toHaveLength(1);
    // The failed runner started again stands by and follows the owner, who clears the record.
    await failing.start();
    const following = failing.waitUntilCaughtUp();
    await fixed.waitUntilCaughtUp();
    await following;
    await failing.stop();
    await fixed.stop();
    expect(await listConsumerFailures(store)).toEqual([]);
  });

  it('once caught up past the failing event, its record is gone (what other processes show)', async () => {
    const { store, add } = setup();
    for (const n of [1, 2, 3]) await add(n);
    let broken = true;
    const subscription = createSubscription(store, {
      name: 'audit',
      ...fast,
      handle: () => {
        if (broken) throw new Error('ledger unreachable');
      },
    });
    await subscription.start();
    await expect(subscription.waitUntilCaughtUp()).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
    broken = false;
    await subscription.start();
    await subscription.waitUntilCaughtUp();
    expect(await listConsumerFailures(store)).toEqual([]);
    expect((await subscription.status()).failure).toBeUndefined();
    await subscription.stop();
  });

  it('an onError hook that throws does not hide the failure', async () => {
    const { store, add } = setup();
    await add(1);
    const subscription = createSubscription(store, {
      name: 'audit',
      ...fast,
      onError: () => {
        throw new Error('alerting down');
      },
      handle: () => {
        throw new Error('bug');
      },
    });
    await subscription.start();
    await expect(subscription.waitUntilCaughtUp()).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
    expect((await subscription.status()).state).toBe('failed');
    expect(await listConsumerFailures(store)).toHaveLength(1);
    await subscription.stop();
  });

  it('a restart request from another process starts a failed consumer again at its event', async () => {
    const { store, add } = setup();
    for (const n of [1, 2, 3]) await add(n);
    // Nothing failed yet: nothing to restart, and no request is left to act on a later failure.
    expect(await requestConsumerRestart(store, 'subscription:audit')).toBe(false);
    let broken = true;
    const seen: number[] = [];
    const subscription = createSubscription(store, {
      name: 'audit',
      ...fast,
      pollIntervalMs: 5,
      handle: (event) => {
        if (broken && event.position === 2) throw new Error('bug');
        seen.push(event.position);
      },
    });
    await subscription.start();
    await expect(subscription.waitUntilCaughtUp()).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
    broken = false;
    seen.length = 0;
    expect(await requestConsumerRestart(store, 'subscription:audit')).toBe(true);
    await vi.waitFor(async () => expect((await subscription.status()).state).toBe('running'));
    await subscription.waitUntilCaughtUp();
    expect(seen).toEqual([2, 3]);
    expect(await listConsumerFailures(store)).toEqual([]);
    // The request was consumed: a later failure stays failed until asked again.
    expect(await store.storage.documents?.list('hindsight.consumer-restarts', { limit: 10 })).toEqual([]);
    await subscription.stop();
  });

  it('a stopped failed consumer no longer looks for restart requests', async () => {
    const { store, add } = setup();
    await add(1);
    const subscription = createSubscription(store, {
      name: 'audit',
      ...fast,
      pollIntervalMs: 1,
      handle: () => {
        throw new Error('bug');
      },
    });
    await subscription.start();
    await expect(subscription.waitUntilCaughtUp()).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
    await subscription.stop();
    expect(await requestConsumerRestart(store, 'subscription:audit')).toBe(true);
    // Twenty poll intervals: time enough for a watcher left behind to act.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await subscription.status()).state).toBe('stopped');
    expect(
      await store.storage.documents?.get('hindsight.consumer-restarts', 'subscription:audit'),
    ).toBeDefined();
  });
});
