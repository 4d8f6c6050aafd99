import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRepository } from '../aggregates/aggregate-repository.js';
import { defineAggregate } from '../aggregates/define-aggregate.js';
import { isHindsightError, StoredEventInvalidError } from '../errors/hindsight-error.js';
import { defineListener } from '../listeners/define-listener.js';
import { createListenerRunner } from '../listeners/listener-runner.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { defineProcess } from '../processes/define-process.js';
import { createProcessManager } from '../processes/process-manager.js';
import { defineProjection } from '../projections/define-projection.js';
import { createProjectionRunner, rebuildProjection } from '../projections/projection-runner.js';
import { checkEvents } from '../streams/check-events.js';
import type { EventStorage } from '../streams/event-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { createSubscription } from '../subscriptions/create-subscription.js';
import type { StoredEvent } from './event.js';
import { defineStreamType } from './event-catalog.js';
import { evolving, schemaVersionField } from './evolving-schema.js';

// Version 1 of the account, as an application first shipped it.
const AccountV1 = defineAggregate('Account')
  .events({
    AccountOpened: z.object({ owner: z.string(), email: z.string() }),
    MoneyDeposited: z.object({ amount: z.number() }),
    // Retired in v2: split into AccountOpened + MoneyDeposited.
    AccountOpenedWithDeposit: z.object({ owner: z.string(), amount: z.number() }),
    // Renamed in v2 to MoneyWithdrawn.
    FundsTaken: z.object({ amount: z.number() }),
  })
  .initialState(() => ({ balance: 0 }))
  .evolve({
    AccountOpened: (state) => state,
    MoneyDeposited: (state, { data }) => ({ balance: state.balance + data.amount }),
    AccountOpenedWithDeposit: (state, { data }) => ({ balance: state.balance + data.amount }),
    FundsTaken: (state, { data }) => ({ balance: state.balance - data.amount }),
  })
  .commands({
    open: (_state, input: { owner: string; email: string }) => ({ type: 'AccountOpened', data: input }),
    openWithDeposit: (_state, input: { owner: string; amount: number }) => ({
      type: 'AccountOpenedWithDeposit',
      data: input,
    }),
    deposit: (_state, input: { amount: number }) => ({ type: 'MoneyDeposited', data: input }),
    take: (_state, input: { amount: number }) => ({ type: 'FundsTaken', data: input }),
  });

const money = z.object({ amountCents: z.number().int(), currency: z.string().length(3) });

// Version 2: amounts in cents with a currency, `email` dropped (a field removed), one type split,
// one renamed.
const AccountV2 = defineAggregate('Account')
  .events(
    {
      AccountOpened: evolving(z.object({ owner: z.string(), email: z.string() })).to(
        2,
        z.object({ owner: z.string() }),
        ({ owner }) => ({ owner }),
      ),
      MoneyDeposited: evolving(z.object({ amount: z.number() })).to(2, money, (v1) => ({
        amountCents: Math.round(v1.amount * 100),
        currency: 'EUR',
      })),
      MoneyWithdrawn: evolving(z.object({ amount: z.number() })).to(2, money, (v1) => ({
        amountCents: Math.round(v1.amount * 100),
        currency: 'EUR',
      })),
    },
    {
      retired: {
        FundsTaken: 'MoneyWithdrawn',
        AccountOpenedWithDeposit: (data: { owner: string; amount: number }) => [
          { type: 'AccountOpened', data: { owner: data.owner } },
          { type: 'MoneyDeposited', data: { amountCents: Math.round(data.amount * 100), currency: 'EUR' } },
        ],
      },
    },
  )
  .initialState(() => ({ owner: '', balanceCents: 0 }))
  .evolve({
    AccountOpened: (state, { data }) => ({ ...state, owner: data.owner }),
    MoneyDeposited: (state, { data }) => ({ ...state, balanceCents: state.balanceCents + data.amountCents }),
    MoneyWithdrawn: (state, { data }) => ({ ...state, balanceCents: state.balanceCents - data.amountCents }),
  })
  .commands({
    deposit: (_state, input: { amountCents: number }) => ({
      type: 'MoneyDeposited',
      data: { amountCents: input.amountCents, currency: 'EUR' },
    }),
  });

/** A storage holding v1 events, written by v1 code; the returned store reads it with v2 code. */
async function writtenByV1(options: { validateOnRead?: boolean } = {}) {
  const storage = createInMemoryStorage();
  const old = createRepository(createEventStore({ storage, events: [AccountV1] }), AccountV1);
  await old.execute('a1', 'open', { owner: 'ada', email: 'ada@example.com' });
  await old.execute('a1', 'deposit', { amount: 12.5 });
  await old.execute('a1', 'take', { amount: 2 });
  await old.execute('a2', 'openWithDeposit', { owner: 'bob', amount: 3 });
  const store = createEventStore({ storage, events: [AccountV2], ...options });
  return { storage, store, accounts: createRepository(store, AccountV2) };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const shape = (event: StoredEvent) => [event.streamId, event.version, event.type, event.data];

describe('evolving event schemas', () => {
  it('upcasts v1 events on load: v2 handlers see only the current shape (no NaN)', async () => {
    const { accounts } = await writtenByV1();
    expect((await accounts.load('a1')).state).toEqual({ owner: 'ada', balanceCents: 1050 });
  });

  it('drops a field through an upcaster', async () => {
    const { store } = await writtenByV1();
    const [opened] = await collect(store.readStream('Account-a1'));
    expect(opened?.data).toEqual({ owner: 'ada' });
    expect(opened?.metadata[schemaVersionField]).toBe(2);
  });

  it('reads a renamed type under its new name, continuing its version history', async () => {
    const { store } = await writtenByV1();
    const events = await collect(store.readStream('Account-a1'));
    expect(events.map(shape)).toEqual([
      ['Account-a1', 1, 'AccountOpened', { owner: 'ada' }],
      ['Account-a1', 2, 'MoneyDeposited', { amountCents: 1250, currency: 'EUR' }],
      ['Account-a1', 3, 'MoneyWithdrawn', { amountCents: 200, currency: 'EUR' }],
    ]);
    // A type filter on the new name finds the events stored under the old one.
    const withdrawn = await collect(store.readAll({ types: ['MoneyWithdrawn'] }));
    expect(withdrawn.map(shape)).toEqual([
      ['Account-a1', 3, 'MoneyWithdrawn', { amountCents: 200, currency: 'EUR' }],
    ]);
  });

  it('splits one stored event into several, each at the stored event version and position', async () => {
    const { store, accounts } = await writtenByV1();
    const events = await collect(store.readStream('Account-a2'));
    expect(events.map(shape)).toEqual([
      ['Account-a2', 1, 'AccountOpened', { owner: 'bob' }],
      ['Account-a2', 1, 'MoneyDeposited', { amountCents: 300, currency: 'EUR' }],
    ]);
    expect(new Set(events.map((event) => event.position)).size).toBe(1);
    expect((await accounts.load('a2')).state).toEqual({ owner: 'bob', balanceCents: 300 });
    const deposits = await collect(store.readAll({ types: ['MoneyDeposited'] }));
    expect(deposits.map((event) => event.streamId)).toEqual(['Account-a1', 'Account-a2']);
  });

  it('writes new events with the current schema version in their metadata, and reads them as they are', async () => {
    const { store, accounts } = await writtenByV1();
    const { events } = await accounts.execute('a1', 'deposit', { amountCents: 5 });
    expect(events[0]?.metadata[schemaVersionField]).toBe(2);
    const [read] = await collect(store.readStream('Account-a1', { fromVersion: 4 }));
    expect(read?.data).toEqual({ amountCents: 5, currency: 'EUR' });
    expect((await accounts.load('a1')).state.balanceCents).toBe(1055);
  });

  it('time travel (atVersion, asOf, history) reads the current shape too', async () => {
    const { accounts } = await writtenByV1();
    expect((await accounts.load('a1', { atVersion: 2 })).state).toEqual({ owner: 'ada', balanceCents: 1250 });
    expect((await accounts.load('a1', { asOf: new Date(Date.now() + 1000) })).state.balanceCents).toBe(1050);
    const history = await collect(accounts.history('a1'));
    expect(history.map(({ state }) => state.balanceCents)).toEqual([0, 1250, 1050]);
  });

  it('consumers (subscriptions, projections and their rebuilds, listeners) see only the current shape', async () => {
    const { store } = await writtenByV1();
    const seen: unknown[] = [];
    const subscription = createSubscription(store, {
      name: 'deposits',
      types: ['MoneyDeposited'],
      batchSize: 1,
      lease: false,
      handle: (event) => {
        seen.push(event.data);
      },
    });
    await subscription.start();
    await subscription.waitUntilCaughtUp();
    await subscription.stop();
    expect(seen).toEqual([
      { amountCents: 1250, currency: 'EUR' },
      { amountCents: 300, currency: 'EUR' },
    ]);

    const totals = new Map<number, number>();
    const Totals = defineProjection('totals', { from: [AccountV2] })
      .on('MoneyDeposited', (event, { version }) => {
        totals.set(version, (totals.get(version) ?? 0) + event.data.amountCents);
      })
      .on('MoneyWithdrawn', (event, { version }) => {
        totals.set(version, (totals.get(version) ?? 0) - event.data.amountCents);
      });
    const runner = createProjectionRunner(store, Totals, { lease: false });
    await runner.start();
    await runner.waitUntilCaughtUp();
    await runner.stop();
    expect(totals.get(1)).toBe(1350);
    const rebuilt = await rebuildProjection(store, Totals);
    expect(totals.get(rebuilt.version)).toBe(1350);

    const heard: string[] = [];
    const Audit = defineListener('audit', { from: [AccountV2] }).on('MoneyWithdrawn', (event) => {
      heard.push(`${event.type}:${event.data.amountCents}`);
    });
    const listener = createListenerRunner(store, Audit, { lease: false });
    await listener.start();
    await listener.waitUntilCaughtUp();
    await listener.stop();
    expect(heard).toEqual(['MoneyWithdrawn:200']);
  });

  it('applies the parts of a split together: none is lost when a page falls back to one event at a time', async () => {
    const { store } = await writtenByV1();
    const seen: string[] = [];
    let failed = false;
    const subscription = createSubscription(store, {
      name: 'split-parts',
      lease: false,
      retry: { initialDelayMs: 1 },
      handle: (event) => {
        // The page fails once, on the split's second part: the runner then goes event by event.
        if (!failed && event.streamId === 'Account-a2' && event.type === 'MoneyDeposited') {
          failed = true;
          throw new Error('flaky read model');
        }
        seen.push(`${event.streamId}:${event.type}`);
      },
    });
    await subscription.start();
    await subscription.waitUntilCaughtUp();
    await subscription.stop();
    expect(seen.slice(-2)).toEqual(['Account-a2:AccountOpened', 'Account-a2:MoneyDeposited']);
  });

  it('saves an at-least-once checkpoint past a split only once all its parts are handled', async () => {
    const { storage, store } = await writtenByV1();
    let release!: () => void;
    const latch = new Promise<void>((resolve) => {
      release = resolve;
    });
    let waiting!: () => void;
    const secondPart = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const Mail = defineListener('split-mail', { from: [AccountV2] })
      .on('AccountOpened', () => {})
      .on('MoneyDeposited', async (event) => {
        if (event.streamId !== 'Account-a2') return;
        waiting();
        await latch;
      });
    const listener = createListenerRunner(store, Mail, { lease: false });
    await listener.start();
    await secondPart;
    // A crash now must read the split again: its second part is not handled yet.
    expect(await storage.loadCheckpoint('listener:split-mail')).toBeLessThan(4);
    release();
    await listener.waitUntilCaughtUp();
    await listener.stop();
    expect(await storage.loadCheckpoint('listener:split-mail')).toBe(4);
  });

  it('process managers react to upcast events', async () => {
    const { store } = await writtenByV1();
    const seen: number[] = [];
    const Watch = defineProcess('watch', { from: [AccountV2], to: [], initialState: () => ({}) }).on(
      'MoneyDeposited',
      {
        key: (event) => event.streamId,
        handle: (state, event) => {
          seen.push(event.data.amountCents);
          return state;
        },
      },
    );
    const manager = createProcessManager(store, Watch, { lease: false });
    await manager.start();
    await manager.waitUntilCaughtUp();
    await manager.stop();
    expect(seen).toEqual([1250, 300]);
  });
});

describe('validation on read', () => {
  const Wallet = defineStreamType('Wallet', { Credited: z.object({ cents: z.number().int() }) });

  /** Stores an event that no longer fits the schema, as old code or a hand edit might have left it. */
  async function withBadEvent(storage: EventStorage<unknown>) {
    const loose = defineStreamType('Wallet', { Credited: z.object({ cents: z.unknown() }) });
    const writer = createEventStore({ storage, events: [loose] });
    await writer.append('w-1', [{ type: 'Credited', data: { cents: 1 } }], { streamType: 'Wallet' });
    await writer.append('w-1', [{ type: 'Credited', data: { cents: 'ten' } }], { streamType: 'Wallet' });
  }

  it('fails with STORED_EVENT_INVALID naming stream, version, type and field path', async () => {
    const storage = createInMemoryStorage();
    await withBadEvent(storage);
    const store = createEventStore({ storage, events: [Wallet] });
    const error = await collect(store.readStream('w-1')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoredEventInvalidError);
    if (!isHindsightError(error, 'STORED_EVENT_INVALID')) throw error;
    expect(error).toMatchObject({
      streamId: 'w-1',
      version: 2,
      position: 2,
      eventType: 'Credited',
      schemaVersion: 1,
      path: 'cents',
    });
    expect(error.message).toContain('field "cents"');
    const fromLog = await collect(store.readAll()).catch((caught: unknown) => caught);
    expect(isHindsightError(fromLog, 'STORED_EVENT_INVALID')).toBe(true);
  });

  it('can be turned off for hot paths (createEventStore({ validateOnRead: false }))', async () => {
    const storage = createInMemoryStorage();
    await withBadEvent(storage);
    const store = createEventStore({ storage, events: [Wallet], validateOnRead: false });
    expect((await collect(store.readStream('w-1'))).map((event) => event.data)).toEqual([
      { cents: 1 },
      { cents: 'ten' },
    ]);
    expect(store.reader.validates).toBe(false);
  });

  it('reports an upcaster that throws, and an event written by a newer schema version', async () => {
    const storage = createInMemoryStorage();
    const V3 = defineStreamType('Wallet', {
      Credited: evolving(z.object({ cents: z.number() }))
        .to(2, z.object({ cents: z.number() }), (v1) => v1)
        .to(3, z.object({ cents: z.number() }), (v2) => v2),
    });
    await createEventStore({ storage, events: [V3] }).append(
      'w-new',
      [{ type: 'Credited', data: { cents: 1 } }],
      { streamType: 'Wallet' },
    );
    const Broken = defineStreamType('Wallet', {
      Credited: evolving(z.object({ cents: z.number() })).to(2, z.object({ cents: z.number() }), () => {
        throw new Error('no way');
      }),
    });
    const old = createEventStore({ storage, events: [Broken] });
    const newer = await collect(old.readStream('w-new')).catch((caught: unknown) => caught);
    expect(newer).toMatchObject({ code: 'STORED_EVENT_INVALID', schemaVersion: 3, version: 1 });
    expect(String(newer)).toContain('written by schema version 3');

    await createEventStore({ storage, events: [Wallet] }).append(
      'w-old',
      [{ type: 'Credited', data: { cents: 1 } }],
      { streamType: 'Wallet' },
    );
    const thrown = await collect(old.readStream('w-old')).catch((caught: unknown) => caught);
    expect(thrown).toMatchObject({ code: 'STORED_EVENT_INVALID', schemaVersion: 1 });
    expect((thrown as Error).cause).toBeInstanceOf(Error);
  });

  it('fails a consumer on the invalid event instead of handing it over', async () => {
    const storage = createInMemoryStorage();
    await withBadEvent(storage);
    const store = createEventStore({ storage, events: [Wallet] });
    const seen: unknown[] = [];
    const subscription = createSubscription(store, {
      name: 'wallets',
      lease: false,
      retry: { attempts: 1 },
      handle: (event) => {
        seen.push(event.data);
      },
    });
    await subscription.start();
    // The read itself fails: the consumer stops there (with the invalid event as the cause), never skipping it.
    await expect(subscription.waitUntilCaughtUp()).rejects.toMatchObject({
      code: 'HANDLER_FAILED',
      cause: { code: 'STORED_EVENT_INVALID', streamId: 'w-1', version: 2 },
    });
    expect((await subscription.status()).position).toBe(0);
    expect(seen).toEqual([]);
    await subscription.stop();
  });
});

describe('snapshots across state shapes', () => {
  it('ignores a snapshot of another state shape version and takes it again on load', async () => {
    const storage = createInMemoryStorage();
    const v1 = createRepository(
      createEventStore({ storage, events: [AccountV1] }),
      AccountV1.withSnapshots({ every: 2 }),
    );
    await v1.execute('a1', 'deposit', { amount: 1 });
    await v1.execute('a1', 'deposit', { amount: 2 });
    expect((await storage.loadSnapshot('Account-a1'))?.state).toEqual({ balance: 3 });

    const store = createEventStore({ storage, events: [AccountV2] });
    const v2 = createRepository(store, AccountV2.withSnapshots({ every: 2, schemaVersion: 2 }));
    expect((await v2.load('a1')).state).toEqual({ owner: '', balanceCents: 300 });
    const retaken = await storage.loadSnapshot('Account-a1');
    expect(retaken).toMatchObject({ schemaVersion: 2, version: 2, state: { owner: '', balanceCents: 300 } });
  });
});

describe('evolving()', () => {
  it('refuses versions out of order and a missing upcaster', () => {
    const start = evolving(z.object({ a: z.number() }));
    expect(() => start.to(3, z.object({ a: z.number() }), (v1) => v1)).toThrow(/must be 2/);
    expect(() => start.to(2, z.object({ a: z.number() }), undefined as never)).toThrow(/must be a function/);
  });

  it('refuses a retired type that is also current or that names no current type', () => {
    const schemas = { A: z.object({}) };
    expect(() => defineStreamType('S', schemas, { retired: { A: 'A' } })).toThrow(
      /also a current event type/,
    );
    expect(() => defineStreamType('S', schemas, { retired: { B: 'C' as never } })).toThrow(
      /must name a current event type/,
    );
  });
});

describe('checkEvents', () => {
  it('reports every event that fails to upcast or validate, with counts per type and schema version', async () => {
    const { storage } = await writtenByV1();
    const loose = defineStreamType('Account', {
      MoneyDeposited: z.object({ amount: z.unknown() }),
      Mystery: z.object({}),
    });
    const writer = createEventStore({ storage, events: [loose] });
    await writer.append('Account-a3', [{ type: 'MoneyDeposited', data: { amount: 'lots' } }], {
      streamType: 'Account',
    });
    await writer.append('Account-a3', [{ type: 'Mystery', data: {} }], { streamType: 'Account' });
    const Other = defineStreamType('Other', { Noted: z.object({}) });
    await createEventStore({ storage, events: [Other] }).append('o-1', [{ type: 'Noted', data: {} }], {
      streamType: 'Other',
    });
    // The check validates even when the store's reads do not.
    const store = createEventStore({ storage, events: [AccountV2], validateOnRead: false });
    const progress: number[] = [];
    const report = await checkEvents(store, {
      pageSize: 2,
      onProgress: ({ events }) => void progress.push(events),
    });
    expect(report).toMatchObject({ events: 7, unchecked: 1, failed: 2 });
    expect(report.failures).toEqual([
      {
        streamId: 'Account-a3',
        version: 1,
        position: 5,
        streamType: 'Account',
        eventType: 'MoneyDeposited',
        schemaVersion: 1,
        problem: 'invalid',
        // 'lots' * 100 is NaN: the upcaster's output fails the current schema instead of reaching state.
        path: 'amountCents',
        message: expect.stringContaining('NaN'),
      },
      expect.objectContaining({
        streamId: 'Account-a3',
        version: 2,
        eventType: 'Mystery',
        problem: 'unknown-type',
      }),
    ]);
    expect(report.counts).toContainEqual({
      streamType: 'Account',
      type: 'MoneyDeposited',
      schemaVersion: 1,
      events: 2,
      failed: 1,
    });
    expect(report.counts).toContainEqual({
      streamType: 'Account',
      type: 'FundsTaken',
      schemaVersion: 1,
      events: 1,
      failed: 0,
    });
    expect(progress.at(-1)).toBe(7);
    expect(progress.length).toBeGreaterThan(2);
  });
});
