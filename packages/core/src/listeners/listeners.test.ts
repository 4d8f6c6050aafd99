import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineStreamType } from '../events/event-catalog.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { defineListener } from './define-listener.js';
import { createListenerRunner, listDeadLetters } from './listener-runner.js';

const Customer = defineStreamType('Customer', {
  CustomerRegistered: z.object({ email: z.string() }),
  CustomerRemoved: z.object({}),
});

function setup() {
  const store = createEventStore({ storage: createInMemoryStorage(), events: [Customer] });
  const register = (id: string, email: string) =>
    store.append(`c-${id}`, [{ type: 'CustomerRegistered', data: { email } }], { streamType: 'Customer' });
  return { store, register };
}

const fast = {
  retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 4 },
  clock: () => new Date('2030-01-01T00:00:00Z'),
};

describe('listeners', () => {
  it('retry with backoff until the handler succeeds (at least once)', async () => {
    const { store, register } = setup();
    const attempts: number[] = [];
    const sent: string[] = [];
    const Welcome = defineListener('welcome', { from: [Customer] }).on(
      'CustomerRegistered',
      (event, { attempt }) => {
        expectTypeOf(event.data).toEqualTypeOf<{ email: string }>();
        attempts.push(attempt);
        if (attempt < 3) throw new Error('mail server down');
        sent.push(event.data.email);
      },
    );
    const runner = createListenerRunner(store, Welcome, fast);
    await runner.start();
    await register('1', 'a@example.com');
    await runner.waitUntilCaughtUp();
    expect(attempts).toEqual([1, 2, 3]);
    expect(sent).toEqual(['a@example.com']);
    expect(await runner.deadLetters()).toEqual([]);
    const status = await runner.status();
    expect(status.lastError?.message).toBe('mail server down');
    expect(status.state).toBe('running');
    await runner.stop();
  });

  it('deployed on an existing history with startFrom "end", react only to what comes next; a standby pins nothing', async () => {
    const { store, register } = setup();
    await register('old-1', 'old-1@example.com');
    await register('old-2', 'old-2@example.com');
    const sent: string[] = [];
    const Welcome = defineListener('welcome-new', { from: [Customer] }).on('CustomerRegistered', (event) => {
      sent.push(event.data.email);
    });
    const owner = createListenerRunner(store, Welcome, { ...fast, startFrom: 'end' });
    const standby = createListenerRunner(store, Welcome, { ...fast, startFrom: 'end' });
    await owner.start();
    await standby.start();
    expect((await standby.status()).lease?.held).toBe(false);
    await register('new', 'new@example.com');
    await owner.waitUntilCaughtUp();
    await owner.stop();
    await standby.stop();
    expect(sent).toEqual(['new@example.com']);
    expect(await store.storage.loadCheckpoint('listener:welcome-new')).toBe(3);
  });

  it('dead-letter an event after the last retry, move on, and retry dead letters later', async () => {
    const { store, register } = setup();
    let down = true;
    const sent: string[] = [];
    const Welcome = defineListener('welcome', { from: [Customer] }).on('CustomerRegistered', (event) => {
      if (down && event.data.email.startsWith('bad')) throw new Error(`cannot mail ${event.data.email}`);
      sent.push(event.data.email);
    });
    const runner = createListenerRunner(store, Welcome, fast);
    await register('1', 'bad1@example.com');
    await register('2', 'good@example.com');
    await register('3', 'bad3@example.com');
    await runner.start();
    await runner.waitUntilCaughtUp();
    expect(sent).toEqual(['good@example.com']);
    const letters = await runner.deadLetters();
    expect(letters).toEqual([
      {
        listener: 'welcome',
        event: expect.objectContaining({ position: 1, streamId: 'c-1', type: 'CustomerRegistered' }),
        attempts: 3,
        error: { name: 'Error', message: 'cannot mail bad1@example.com', code: undefined },
        failedAt: new Date('2030-01-01T00:00:00Z'),
      },
      expect.objectContaining({ event: expect.objectContaining({ position: 3 }), attempts: 3 }),
    ]);
    expect(await store.storage.loadCheckpoint('listener:welcome')).toBe(3);
    // Readable without the runner, as another process (the CLI) reads them.
    expect(await listDeadLetters(store, 'welcome')).toEqual(letters);
    expect(await listDeadLetters(store, 'someone-else')).toEqual([]);

    // Still failing: the record stays and counts the attempt.
    expect(await runner.retryDeadLetter(1)).toBe(false);
    expect((await runner.deadLetters())[0]?.attempts).toBe(4);

    down = false;
    expect(await runner.retryDeadLetters()).toEqual({ succeeded: 2, failed: 0 });
    expect(sent).toEqual(['good@example.com', 'bad1@example.com', 'bad3@example.com']);
    expect(await runner.deadLetters()).toEqual([]);
    await runner.stop();
  });

  it('a failing listener holds up neither other listeners nor writers', async () => {
    const { store, register } = setup();
    let releaseSlow: () => void = () => undefined;
    const slowGate = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const Broken = defineListener('broken', { from: [Customer] }).on('CustomerRegistered', async () => {
      await slowGate;
      throw new Error('always fails');
    });
    const healthy: string[] = [];
    const Healthy = defineListener('healthy', { from: [Customer] }).on('CustomerRegistered', (event) => {
      healthy.push(event.streamId);
    });
    const broken = createListenerRunner(store, Broken, fast);
    const ok = createListenerRunner(store, Healthy, fast);
    await broken.start();
    await ok.start();
    for (let i = 0; i < 5; i += 1) await register(String(i), `${i}@example.com`);
    await ok.waitUntilCaughtUp();
    expect(healthy).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
    expect((await broken.status()).position).toBe(0);
    releaseSlow();
    await broken.waitUntilCaughtUp();
    expect((await broken.deadLetters()).map((letter) => letter.event.position)).toEqual([1, 2, 3, 4, 5]);
    await Promise.all([broken.stop(), ok.stop()]);
  });
});
