import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineStreamType } from '../events/event-catalog.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { createSubscription } from './create-subscription.js';
import { type ShutdownOutcome, shutdownOnSignals } from './shutdown-on-signals.js';

const Counter = defineStreamType('Counter', { Added: z.object({ n: z.number() }) });

function setup() {
  const storage = createInMemoryStorage();
  const store = createEventStore({ storage, events: [Counter] });
  const subscription = createSubscription(store, {
    name: 'counter',
    lease: { owner: 'first', ttlMs: 60_000 },
    handle: () => {},
  });
  return { storage, store, subscription };
}

describe('shutdownOnSignals', () => {
  it('stops the consumers (releasing their leases), closes the store, then reports, once', async () => {
    const { storage, store, subscription } = setup();
    await subscription.start();
    expect(await storage.leases?.read('subscription:counter')).toMatchObject({ owner: 'first' });
    const source = new EventEmitter();
    const outcomes: ShutdownOutcome[] = [];
    const done = new Promise<void>((resolve) => {
      shutdownOnSignals({
        consumers: [subscription],
        store,
        source,
        onShutdown: (outcome) => {
          outcomes.push(outcome);
          resolve();
        },
      });
    });
    expect(source.listenerCount('SIGINT')).toBe(1);
    expect(source.listenerCount('SIGTERM')).toBe(1);
    source.emit('SIGTERM', 'SIGTERM');
    await done;
    expect(outcomes).toEqual([{ signal: 'SIGTERM', errors: [] }]);
    expect((await subscription.status()).state).toBe('stopped');
    expect(await storage.leases?.read('subscription:counter')).toBeUndefined();
    await expect(
      store.append('c-1', [{ type: 'Added', data: { n: 1 } }], { streamType: 'Counter' }),
    ).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    // The handlers are gone: a second Ctrl-C gets Node's default behaviour.
    expect(source.listenerCount('SIGINT')).toBe(0);
    expect(source.listenerCount('SIGTERM')).toBe(0);
  });

  it('reports what failed and still closes the store; the disposer removes the handlers', async () => {
    const { store } = setup();
    const source = new EventEmitter();
    const failure = new Error('stuck');
    const outcome = new Promise<ShutdownOutcome>((resolve) => {
      shutdownOnSignals({
        consumers: [{ stop: () => Promise.reject(failure) }],
        store,
        source,
        signals: ['SIGUSR2'],
        onShutdown: resolve,
      });
    });
    source.emit('SIGUSR2', 'SIGUSR2');
    expect(await outcome).toEqual({ signal: 'SIGUSR2', errors: [failure] });
    await expect(store.append('c-1', [], { streamType: 'Counter' })).rejects.toMatchObject({
      code: 'STORE_CLOSED',
    });

    const dispose = shutdownOnSignals({ consumers: [], source });
    expect(source.listenerCount('SIGINT')).toBe(1);
    dispose();
    expect(source.listenerCount('SIGINT')).toBe(0);
  });
});
