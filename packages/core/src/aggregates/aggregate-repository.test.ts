import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CommandRejectedError,
  ConcurrencyError,
  EventValidationError,
  InvalidArgumentError,
  RetriesExhaustedError,
  StreamTypeMismatchError,
  UnknownCommandError,
} from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import { defineStreamType } from '../events/event-catalog.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import type { EventStorage, StoredSnapshot } from '../streams/event-storage.js';
import { createEventStore, type EventStore } from '../streams/event-store.js';
import { createRepository } from './aggregate-repository.js';
import { defineAggregate } from './define-aggregate.js';

const Account = defineAggregate('Account')
  .events({
    Opened: z.object({ owner: z.string().min(1), currency: z.string().default('EUR') }),
    // Non-idempotent on purpose: validating twice would multiply by 100 twice.
    Deposited: z.object({
      amount: z
        .number()
        .positive()
        .transform((units) => Math.round(units * 100)),
    }),
    Withdrawn: z.object({ cents: z.number().int().positive() }),
  })
  .initialState(() => ({ open: false, owner: '', currency: '', cents: 0, seen: [] as number[] }))
  .evolve({
    Opened: (state, { data }) => ({ ...state, open: true, owner: data.owner, currency: data.currency }),
    Deposited: (state, { data }) => ({
      ...state,
      cents: state.cents + data.amount,
      seen: [...state.seen, data.amount],
    }),
    Withdrawn: (state, { data }) => ({ ...state, cents: state.cents - data.cents }),
  })
  .commands({
    open: (state, input: { owner: string; currency?: string }, context) => {
      if (state.open) context.reject('ACCOUNT_EXISTS', `Account ${context.id} is already open`);
      return { type: 'Opened', data: input };
    },
    deposit: (state, input: { amount: number }, context) => {
      if (!state.open) context.reject('ACCOUNT_NOT_OPEN');
      return { type: 'Deposited', data: { amount: input.amount } };
    },
    withdraw: (state, input: { cents: number }, context) => {
      if (state.cents < input.cents) {
        context.reject('INSUFFICIENT_FUNDS', `Balance ${state.cents} is below ${input.cents}`);
      }
      return { type: 'Withdrawn', data: { cents: input.cents } };
    },
    noop: () => [],
  });

const Counter = defineAggregate('Counter')
  .events({ Incremented: z.object({ by: z.number().int().positive() }) })
  .initialState(() => ({ total: 0, count: 0 }))
  .evolve({ Incremented: (state, { data }) => ({ total: state.total + data.by, count: state.count + 1 }) })
  .commands({
    increment: (_state, input: { by: number }) => ({ type: 'Incremented', data: { by: input.by } }),
    incrementTwice: (_state, input: { by: number }) => [
      { type: 'Incremented', data: { by: input.by } },
      { type: 'Incremented', data: { by: input.by } },
    ],
  });

const Tagged = defineAggregate('Tagged')
  .events({ TagAdded: z.object({ tag: z.string().min(1) }) })
  .initialState(() => ({ tags: new Set<string>() }))
  .evolve({ TagAdded: (state, { data }) => ({ tags: new Set([...state.tags, data.tag]) }) })
  .commands({ tag: (_state, input: { tag: string }) => ({ type: 'TagAdded', data: { tag: input.tag } }) });

const Audit = defineStreamType('Audit', { Noted: z.object({ note: z.string() }) });

interface Spy {
  appends: number;
  pageReads: number;
  eventsRead: number;
  snapshotsSaved: number[];
}

/** Delegates everything to the real storage, counting calls and optionally racing every append. */
function decorate(
  inner: EventStorage<unknown>,
  spy: Spy,
  options: { competeOnAppend?: boolean } = {},
): EventStorage<unknown> {
  return {
    kind: inner.kind,
    append: async (request, hook) => {
      spy.appends += 1;
      if (options.competeOnAppend === true) {
        // A real competing writer lands between the repository's load and its append.
        await inner.append({
          streamId: request.streamId,
          streamType: request.streamType,
          expectedVersion: 'any',
          events: [
            { eventId: globalThis.crypto.randomUUID(), type: 'Incremented', data: { by: 100 }, metadata: {} },
          ],
        });
      }
      return inner.append(request, hook);
    },
    readStream: async (streamId, query) => {
      const page = await inner.readStream(streamId, query);
      spy.pageReads += 1;
      spy.eventsRead += page.length;
      return page;
    },
    readAll: (query) => inner.readAll(query),
    streamInfo: (streamId) => inner.streamInfo(streamId),
    headPosition: () => inner.headPosition(),
    loadSnapshot: (streamId) => inner.loadSnapshot(streamId),
    saveSnapshot: (snapshot) => {
      spy.snapshotsSaved.push(snapshot.version);
      return inner.saveSnapshot(snapshot);
    },
    loadCheckpoint: (consumerId) => inner.loadCheckpoint(consumerId),
    saveCheckpoint: (consumerId, position, transaction) =>
      inner.saveCheckpoint(consumerId, position, transaction),
    transaction: (work) => inner.transaction(work),
    onAppended: (listener) => inner.onAppended(listener),
    close: () => inner.close(),
  };
}

const opened: EventStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

function setup(
  options: { competeOnAppend?: boolean; clock?: () => Date; inner?: EventStorage<unknown> } = {},
) {
  const spy: Spy = { appends: 0, pageReads: 0, eventsRead: 0, snapshotsSaved: [] };
  const inner =
    options.inner ?? createInMemoryStorage(options.clock === undefined ? {} : { clock: options.clock });
  const storage = decorate(inner, spy, options);
  const store = createEventStore({ storage, events: [Audit, Account, Counter, Tagged] });
  opened.push(store);
  const reset = () => {
    spy.appends = 0;
    spy.pageReads = 0;
    spy.eventsRead = 0;
    spy.snapshotsSaved = [];
  };
  return { store, spy, reset, inner };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function caught<E extends Error>(
  ErrorClass: abstract new (...args: never[]) => E,
  run: () => unknown,
): Promise<E> {
  let thrown: unknown;
  try {
    await run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ErrorClass);
  return thrown as E;
}

describe('aggregate repository: executing commands', () => {
  it('executes one command: load, decide, append, new state and version', async () => {
    const { store, spy } = setup();
    const accounts = createRepository(store, Account);
    const result = await accounts.execute('a1', 'open', { owner: 'ada', currency: 'GBP' });
    expect(result).toMatchObject({ id: 'a1', streamId: 'Account-a1', version: 1 });
    expect(result.state).toEqual({ open: true, owner: 'ada', currency: 'GBP', cents: 0, seen: [] });
    expect(result.events.map((event) => [event.type, event.version, event.streamType])).toEqual([
      ['Opened', 1, 'Account'],
    ]);
    expect(spy.appends).toBe(1);
    expect(await accounts.load('a1')).toEqual({
      id: 'a1',
      streamId: 'Account-a1',
      version: 1,
      state: result.state,
    });
  });

  it('appends chained commands together in one append, each deciding on the state the previous left', async () => {
    const { store, spy } = setup();
    const accounts = createRepository(store, Account);
    const result = await accounts.execute('a1', (account) =>
      account.open({ owner: 'ada' }).deposit({ amount: 2 }).deposit({ amount: 3 }).withdraw({ cents: 100 }),
    );
    expect(spy.appends).toBe(1);
    expect(result.version).toBe(4);
    expect(result.events.map((event) => [event.type, event.version])).toEqual([
      ['Opened', 1],
      ['Deposited', 2],
      ['Deposited', 3],
      ['Withdrawn', 4],
    ]);
    expect(new Set(result.events.map((event) => event.timestamp.getTime())).size).toBe(1);
    expect(result.state.cents).toBe(400);
    expect((await accounts.load('a1')).state).toEqual(result.state);
  });

  it('writes nothing of a chain when a later command is rejected', async () => {
    const { store, spy } = setup();
    const accounts = createRepository(store, Account);
    const error = await caught(CommandRejectedError, () =>
      accounts.execute('a1', (account) => account.open({ owner: 'ada' }).withdraw({ cents: 1 })),
    );
    expect(error).toMatchObject({ command: 'withdraw', reason: 'INSUFFICIENT_FUNDS' });
    expect(spy.appends).toBe(0);
    expect(await store.streamInfo('Account-a1')).toBeUndefined();
  });

  it('applies zod defaults and transforms once: evolve, the result and the stored event see the parsed output', async () => {
    const { store } = setup();
    const accounts = createRepository(store, Account);
    const opened = await accounts.execute('a1', 'open', { owner: 'ada' });
    expect(opened.state.currency).toBe('EUR');
    expect(opened.events[0]?.data).toEqual({ owner: 'ada', currency: 'EUR' });
    const deposited = await accounts.execute('a1', (account) =>
      account.deposit({ amount: 1.5 }).deposit({ amount: 2 }),
    );
    expect(deposited.state.seen).toEqual([150, 200]);
    expect(deposited.state.cents).toBe(350);
    expect(deposited.events.map((event) => event.data)).toEqual([{ amount: 150 }, { amount: 200 }]);
    const stored = await collect(store.readStream('Account-a1'));
    expect(stored.map((event) => event.data)).toEqual([
      { owner: 'ada', currency: 'EUR' },
      { amount: 150 },
      { amount: 200 },
    ]);
    expect((await accounts.load('a1')).state).toEqual(deposited.state);
  });

  it('emitting no events appends nothing and returns the loaded state', async () => {
    const { store, spy, reset } = setup();
    const accounts = createRepository(store, Account);
    await accounts.execute('a1', 'open', { owner: 'ada' });
    reset();
    const result = await accounts.execute('a1', 'noop', undefined);
    expect(spy.appends).toBe(0);
    expect(result).toMatchObject({ version: 1, events: [] });
    expect(result.state.owner).toBe('ada');
  });

  it('refuses events a command emits that break their schema, naming the stream and field', async () => {
    const { store } = setup();
    const accounts = createRepository(store, Account);
    await accounts.execute('a1', 'open', { owner: 'ada' });
    const error = await caught(EventValidationError, () => accounts.execute('a1', 'deposit', { amount: -5 }));
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      streamId: 'Account-a1',
      eventType: 'Deposited',
      path: 'amount',
    });
    expect(error.message).toMatch(/^Invalid Deposited event for stream "Account-a1": field "amount": /);
    expect((await store.streamInfo('Account-a1'))?.version).toBe(1);
  });

  it('re-executed with the ids of events already stored, appends nothing and returns the stored state', async () => {
    const { store } = setup();
    const accounts = createRepository(store, Account);
    await accounts.execute('a1', 'open', { owner: 'ada' });
    const eventIds = (index: number) => `00000000-0000-4000-8000-00000000000${index}`;
    const first = await accounts.execute('a1', 'deposit', { amount: 5 }, { eventIds });
    // A retry after a crash: the command decides again on a state that already holds its event.
    const retried = await accounts.execute('a1', 'deposit', { amount: 5 }, { eventIds });
    expect(retried.version).toBe(2);
    expect(retried.state).toEqual(first.state);
    expect(retried.events.map((event) => event.eventId)).toEqual(first.events.map((event) => event.eventId));
    expect((await accounts.load('a1')).state.cents).toBe(500);
  });

  it('propagates execute metadata to every event appended', async () => {
    const { store } = setup();
    const accounts = createRepository(store, Account);
    const metadata = { actorId: 'clerk-ada', correlationId: 'req-7', causationId: 'cmd-1', tenant: 'acme' };
    const result = await accounts.execute(
      'a1',
      (account) => account.open({ owner: 'ada' }).deposit({ amount: 1 }),
      {
        metadata,
      },
    );
    expect(result.events.map((event) => event.metadata)).toEqual([metadata, metadata]);
    const stored = await collect(store.readStream('Account-a1'));
    expect(stored.map((event) => event.metadata)).toEqual([metadata, metadata]);
  });
});

describe('aggregate repository: rejections and unknown commands', () => {
  it('throws CommandRejectedError with reason, aggregate, command and stream, writing nothing', async () => {
    const { store, spy, reset } = setup();
    const accounts = createRepository(store, Account);
    await accounts.execute('a1', (account) => account.open({ owner: 'ada' }).deposit({ amount: 1 }));
    reset();
    const error = await caught(CommandRejectedError, () =>
      accounts.execute('a1', 'withdraw', { cents: 500 }),
    );
    expect(error).toMatchObject({
      code: 'COMMAND_REJECTED',
      name: 'CommandRejectedError',
      reason: 'INSUFFICIENT_FUNDS',
      aggregate: 'Account',
      command: 'withdraw',
      streamId: 'Account-a1',
    });
    expect(error.message).toBe('Account.withdraw rejected on "Account-a1": Balance 100 is below 500');
    expect(spy.appends).toBe(0);
    expect((await store.streamInfo('Account-a1'))?.version).toBe(2);
  });

  it('uses the reason as the message when none is given', async () => {
    const { store } = setup();
    const accounts = createRepository(store, Account);
    const error = await caught(CommandRejectedError, () => accounts.execute('a1', 'deposit', { amount: 1 }));
    expect(error.message).toBe('Account.deposit rejected on "Account-a1": ACCOUNT_NOT_OPEN');
    expect(error.reason).toBe('ACCOUNT_NOT_OPEN');
  });

  it('does not retry a rejection', async () => {
    const { store, spy } = setup();
    const accounts = createRepository(store, Account);
    await accounts.execute('a1', 'open', { owner: 'ada' });
    spy.pageReads = 0;
    await caught(CommandRejectedError, () => accounts.execute('a1', 'open', { owner: 'bob' }));
    expect(spy.pageReads).toBe(1);
  });

  it('throws UnknownCommandError for a command the aggregate does not have', async () => {
    const { store, spy } = setup();
    const accounts = createRepository(store, Account);
    for (const command of ['close', 'toString', 'constructor']) {
      const error = await caught(UnknownCommandError, () =>
        accounts.execute('a1', command as 'open', { owner: 'x' }),
      );
      expect(error).toMatchObject({ code: 'UNKNOWN_COMMAND', aggregate: 'Account', command });
      expect(error.message).toBe(
        `Aggregate "Account" has no command "${command}"; commands: open, deposit, withdraw, noop`,
      );
    }
    const chained = await caught(UnknownCommandError, () =>
      accounts.execute('a1', (account) => {
        const loose = account.open({ owner: 'ada' }) as unknown as Record<
          string,
          (input: unknown) => unknown
        >;
        return loose.close?.({});
      }),
    );
    expect(chained.command).toBe('close');
    expect(spy.appends).toBe(0);
  });
});

describe('aggregate repository: registration', () => {
  it('refuses a repository of an aggregate the store was not given, and the store keeps refusing its events', async () => {
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [Audit] });
    opened.push(store);
    const error = await caught(InvalidArgumentError, () => createRepository(store, Account));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'aggregate' });
    expect(error.message).toContain('Account');
    const append = store.append('Account-a1', [{ type: 'Opened', data: { owner: 'ann' } } as never], {
      streamType: 'Account' as never,
    });
    await expect(append).rejects.toMatchObject({ code: 'UNKNOWN_EVENT_TYPE' });
    expect(await storage.headPosition()).toBe(0);
  });

  it('accepts an aggregate listed in the store or registered explicitly', async () => {
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Audit] });
    opened.push(store);
    store.register(Counter);
    const counters = createRepository(store, Counter.withSnapshots({ every: 5 }));
    expect((await counters.execute('c1', 'increment', { by: 2 })).version).toBe(1);
  });
});

describe('aggregate repository: ids', () => {
  it('refuses an empty id on execute, load and history with INVALID_ARGUMENT naming the aggregate, writing nothing', async () => {
    const { store, spy } = setup();
    const counters = createRepository(store, Counter);
    for (const attempt of [
      () => counters.execute('', 'increment', { by: 1 }),
      () => counters.execute('', 'increment', { by: 1 }, { lockStream: true }),
      () => counters.load(''),
      async () => {
        for await (const _ of counters.history('')) break;
      },
    ]) {
      const error = await caught(InvalidArgumentError, attempt);
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'Counter id' });
      expect(error.message).toContain('Counter id');
    }
    expect(spy.appends).toBe(0);
    expect(await store.storage.headPosition()).toBe(0);
  });
});

describe('aggregate repository: concurrency', () => {
  it('lets 10 concurrent executes on one aggregate all succeed by retrying, versions 1..10', async () => {
    const { store } = setup();
    // Each failed attempt of a writer means another writer succeeded meanwhile: n writers need n attempts.
    const counters = createRepository(store, Counter, { retry: { attempts: 10 } });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) => counters.execute('c1', 'increment', { by: index + 1 })),
    );
    expect(results.map((result) => result.version).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    const events = await collect(store.readStream('Counter-c1'));
    expect(events.map((event) => event.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(
      events.map((event) => Number((event.data as Record<string, unknown>).by)).sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await counters.load('c1')).state).toEqual({ total: 55, count: 10 });
    for (const result of results) expect(result.state.count).toBe(result.version);
  });

  it('lets 20 concurrent executes on one stream all succeed with default settings, versions 1..20', async () => {
    const { store } = setup();
    const counters = createRepository(store, Counter);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => counters.execute('busy', 'increment', { by: 1 })),
    );
    expect(results.map((result) => result.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
  });

  it('queues hot-stream writers with lockStream: 10 concurrent executes without retries all succeed', async () => {
    const { store, spy } = setup();
    const counters = createRepository(store, Counter, { lockStream: true, retry: { attempts: 1 } });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) => counters.execute('hot', 'increment', { by: index + 1 })),
    );
    expect(results.map((result) => result.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(spy.appends).toBe(10);
    // Other streams are not held up by the hot one, and an execute can opt out per call.
    const other = await counters.execute('cold', 'increment', { by: 1 }, { lockStream: false });
    expect(other.version).toBe(1);
    expect((await counters.load('hot')).state).toEqual({ total: 55, count: 10 });
  });

  it('gives up with RetriesExhaustedError after the configured attempts when every append races', async () => {
    const { store, spy } = setup({ competeOnAppend: true });
    const counters = createRepository(store, Counter, { retry: { attempts: 3 } });
    const error = await caught(RetriesExhaustedError, () => counters.execute('c1', 'increment', { by: 1 }));
    expect(error).toMatchObject({ code: 'RETRIES_EXHAUSTED', streamId: 'Counter-c1', attempts: 3 });
    expect(error.message).toBe(
      'Gave up on stream "Counter-c1" after 3 attempt(s) conflicting with concurrent writers',
    );
    expect(error.cause).toBeInstanceOf(ConcurrencyError);
    expect(error.cause).toMatchObject({ streamId: 'Counter-c1', expectedVersion: 2, actualVersion: 3 });
    expect(spy.appends).toBe(3);
    // Only the competitors' events landed.
    expect((await counters.load('c1')).state).toEqual({ total: 300, count: 3 });
  });

  it('lets one execute override the attempts, or turn retrying off', async () => {
    const { store, spy, reset } = setup({ competeOnAppend: true });
    const counters = createRepository(store, Counter);
    const twice = await caught(RetriesExhaustedError, () =>
      counters.execute('c1', 'increment', { by: 1 }, { retry: { attempts: 2 } }),
    );
    expect(twice.attempts).toBe(2);
    expect(spy.appends).toBe(2);
    reset();
    const once = await caught(ConcurrencyError, () =>
      counters.execute('c1', 'increment', { by: 1 }, { retry: false }),
    );
    expect(once.streamId).toBe('Counter-c1');
    expect(spy.appends).toBe(1);
    reset();
    const byDefault = await caught(RetriesExhaustedError, () =>
      counters.execute('c1', 'increment', { by: 1 }),
    );
    expect(byDefault.attempts).toBe(5);
    expect(spy.appends).toBe(5);
  });

  it('throws ConcurrencyError without retrying when the caller gives expectedVersion', async () => {
    const { store, spy, reset } = setup();
    const counters = createRepository(store, Counter);
    await counters.execute('c1', 'increment', { by: 1 });
    await counters.execute('c1', 'increment', { by: 1 });
    reset();
    const error = await caught(ConcurrencyError, () =>
      counters.execute('c1', 'increment', { by: 1 }, { expectedVersion: 1 }),
    );
    expect(error).toMatchObject({
      code: 'CONCURRENCY_CONFLICT',
      streamId: 'Counter-c1',
      expectedVersion: 1,
      actualVersion: 2,
    });
    expect(error.message).toBe(
      'Concurrency conflict on stream "Counter-c1": expected version 1, actual version 2',
    );
    expect(spy.appends).toBe(1);
    const ok = await counters.execute('c1', 'increment', { by: 1 }, { expectedVersion: 2 });
    expect(ok.version).toBe(3);
  });

  it('refuses retry attempts that are not a positive whole number', async () => {
    const { store } = setup();
    expect(() => createRepository(store, Counter, { retry: { attempts: 0 } })).toThrow(InvalidArgumentError);
    const counters = createRepository(store, Counter);
    const error = await caught(InvalidArgumentError, () =>
      counters.execute('c1', 'increment', { by: 1 }, { retry: { attempts: 1.5 } }),
    );
    expect(error.message).toBe('Invalid retry.attempts 1.5: must be a whole number ≥ 1');
  });
});

describe('aggregate repository: time travel and history', () => {
  async function timeline() {
    let now = new Date('2024-01-01T10:00:00.000Z');
    const { store } = setup({ clock: () => now });
    const accounts = createRepository(store, Account);
    const at = (iso: string) => {
      now = new Date(iso);
    };
    at('2024-01-01T10:00:00.000Z');
    await accounts.execute('a1', 'open', { owner: 'ada' });
    at('2024-01-02T10:00:00.000Z');
    await accounts.execute('a1', 'deposit', { amount: 10 });
    at('2024-01-03T10:00:00.000Z');
    await accounts.execute('a1', 'withdraw', { cents: 250 });
    return { store, accounts };
  }

  it('loads the state at a version', async () => {
    const { accounts } = await timeline();
    const states = await Promise.all([0, 1, 2, 3, 99].map((atVersion) => accounts.load('a1', { atVersion })));
    expect(states.map((loaded) => [loaded.version, loaded.state.open, loaded.state.cents])).toEqual([
      [0, false, 0],
      [1, true, 0],
      [2, true, 1000],
      [3, true, 750],
      [3, true, 750],
    ]);
  });

  it('loads the state as of an instant', async () => {
    const { accounts } = await timeline();
    const asOf = async (iso: string) => {
      const loaded = await accounts.load('a1', { asOf: new Date(iso) });
      return [loaded.version, loaded.state.cents];
    };
    expect(await asOf('2024-01-01T09:59:59.999Z')).toEqual([0, 0]);
    expect(await asOf('2024-01-01T10:00:00.000Z')).toEqual([1, 0]);
    expect(await asOf('2024-01-02T23:00:00.000Z')).toEqual([2, 1000]);
    expect(await asOf('2030-01-01T00:00:00.000Z')).toEqual([3, 750]);
  });

  it('refuses an invalid version or instant', async () => {
    const { accounts } = await timeline();
    for (const atVersion of [-1, 1.5, Number.NaN]) {
      const error = await caught(InvalidArgumentError, () => accounts.load('a1', { atVersion }));
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'atVersion' });
      expect(error.message).toBe(`Invalid atVersion ${atVersion}: must be a whole number ≥ 0`);
    }
    const error = await caught(InvalidArgumentError, () => accounts.load('a1', { asOf: new Date('nope') }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/is not a valid Date$/);
  });

  it('lists the history: every event with the state right after it', async () => {
    const { accounts } = await timeline();
    const history = await collect(accounts.history('a1'));
    expect(history.map(({ event, state }) => [event.version, event.type, state.cents])).toEqual([
      [1, 'Opened', 0],
      [2, 'Deposited', 1000],
      [3, 'Withdrawn', 750],
    ]);
    const upTo2 = await collect(accounts.history('a1', { atVersion: 2 }));
    expect(upTo2.map(({ event }) => event.version)).toEqual([1, 2]);
    const asOf = await collect(accounts.history('a1', { asOf: new Date('2024-01-01T12:00:00.000Z') }));
    expect(asOf.map(({ event }) => event.type)).toEqual(['Opened']);
    expect(await collect(accounts.history('nobody'))).toEqual([]);
  });
});

describe('aggregate repository: snapshots', () => {
  const SnapshottedCounter = Counter.withSnapshots({ every: 10 });

  it('saves a snapshot each time an append crosses a multiple of 10', async () => {
    const { store, spy } = setup();
    const counters = createRepository(store, SnapshottedCounter);
    for (let index = 1; index <= 25; index += 1) await counters.execute('c1', 'increment', { by: index });
    expect(spy.snapshotsSaved).toEqual([10, 20]);
    // A two-event append from 29 to 31 crosses 30: the snapshot is at the append's version.
    for (let index = 26; index <= 29; index += 1) await counters.execute('c1', 'increment', { by: index });
    await counters.execute('c1', 'incrementTwice', { by: 1 });
    expect(spy.snapshotsSaved).toEqual([10, 20, 31]);
    const snapshot = await store.storage.loadSnapshot('Counter-c1');
    expect(snapshot).toMatchObject({
      streamId: 'Counter-c1',
      streamType: 'Counter',
      version: 31,
      schemaVersion: 1,
      state: { total: 437, count: 31 },
    });
  });

  it('loads from the latest snapshot plus only the events after it, to the same state as a full fold', async () => {
    const { store, spy, reset } = setup();
    const counters = createRepository(store, SnapshottedCounter);
    for (let index = 1; index <= 25; index += 1) await counters.execute('c1', 'increment', { by: index });
    reset();
    const loaded = await counters.load('c1');
    expect(spy.eventsRead).toBe(5);
    expect(spy.pageReads).toBe(1);
    reset();
    const full = await createRepository(store, Counter).load('c1');
    expect(spy.eventsRead).toBe(25);
    expect(loaded).toEqual(full);
    expect(loaded).toMatchObject({ version: 25, state: { total: 325, count: 25 } });
    const history = await collect(counters.history('c1'));
    expect(history.at(-1)?.state).toEqual(loaded.state);
  });

  it('ignores a snapshot newer than the version asked for', async () => {
    const { store, spy, reset } = setup();
    const counters = createRepository(store, SnapshottedCounter);
    for (let index = 1; index <= 25; index += 1) await counters.execute('c1', 'increment', { by: index });
    reset();
    const at15 = await counters.load('c1', { atVersion: 15 });
    expect(at15).toMatchObject({ version: 15, state: { total: 120, count: 15 } });
    expect(spy.eventsRead).toBe(15);
    const at22 = await counters.load('c1', { atVersion: 22 });
    expect(at22).toMatchObject({ version: 22, state: { total: 253, count: 22 } });
  });

  it('ignores a snapshot of another schemaVersion and rebuilds the state from events', async () => {
    const { store, spy, reset } = setup();
    const VersionTwo = Counter.withSnapshots({ every: 10, schemaVersion: 2 });
    const counters = createRepository(store, VersionTwo);
    for (let index = 1; index <= 25; index += 1) await counters.execute('c1', 'increment', { by: index });
    const bogus = (schemaVersion: number): StoredSnapshot => ({
      streamId: 'Counter-c1',
      streamType: 'Counter',
      version: 25,
      schemaVersion,
      state: { sum: 'not the current shape' },
      timestamp: new Date(),
    });
    await store.storage.saveSnapshot(bogus(1));
    reset();
    const loaded = await counters.load('c1');
    expect(loaded).toMatchObject({ version: 25, state: { total: 325, count: 25 } });
    expect(spy.eventsRead).toBe(25);
    const executed = await counters.execute('c1', 'increment', { by: 1 });
    expect(executed.state).toEqual({ total: 326, count: 26 });

    // The control: the same snapshot with the current schemaVersion is used as is.
    await store.storage.saveSnapshot({ ...bogus(2), version: 26 });
    expect((await counters.load('c1')).state).toEqual({ sum: 'not the current shape' });
  });

  it('ignores a snapshot written for another stream type', async () => {
    const { store } = setup();
    const counters = createRepository(store, SnapshottedCounter);
    for (let index = 1; index <= 3; index += 1) await counters.execute('c1', 'increment', { by: index });
    await store.storage.saveSnapshot({
      streamId: 'Counter-c1',
      streamType: 'Audit',
      version: 3,
      schemaVersion: 1,
      state: { total: -1, count: -1 },
      timestamp: new Date(),
    });
    expect((await counters.load('c1')).state).toEqual({ total: 6, count: 3 });
  });

  it('encodes state for the snapshot and decodes it on load', async () => {
    const { store, spy, reset } = setup();
    const tags = createRepository(
      store,
      Tagged.withSnapshots({
        every: 3,
        encode: (state) => ({ tags: [...state.tags].sort() }),
        decode: (json) => ({ tags: new Set((json as { tags: string[] }).tags) }),
      }),
    );
    for (const tag of ['red', 'blue', 'green', 'amber']) await tags.execute('t1', 'tag', { tag });
    const snapshot = await store.storage.loadSnapshot('Tagged-t1');
    expect(snapshot).toMatchObject({ version: 3, state: { tags: ['blue', 'green', 'red'] } });
    reset();
    const loaded = await tags.load('t1');
    expect(spy.eventsRead).toBe(1);
    expect(loaded.state.tags).toBeInstanceOf(Set);
    expect([...loaded.state.tags].sort()).toEqual(['amber', 'blue', 'green', 'red']);
  });

  it('reports a state that is not JSON (and has no encode) to onSnapshotError; the command still succeeds', async () => {
    const { store } = setup();
    const reported: [unknown, string][] = [];
    const tags = createRepository(store, Tagged.withSnapshots({ every: 2 }), {
      onSnapshotError: (error, streamId) => reported.push([error, streamId]),
    });
    await tags.execute('t1', 'tag', { tag: 'red' });
    const second = await tags.execute('t1', 'tag', { tag: 'blue' });
    expect(second.version).toBe(2);
    expect([...second.state.tags]).toEqual(['red', 'blue']);
    expect(reported).toHaveLength(1);
    const [error, streamId] = reported[0] ?? [];
    expect(streamId).toBe('Tagged-t1');
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    const message = (error as Error).message;
    expect(message).toContain('Tagged snapshot state at "tags"');
    expect(message).toContain('a Set is not plain JSON');
    expect(message).toContain('give the snapshot policy an encode/decode pair');
    expect(await store.storage.loadSnapshot('Tagged-t1')).toBeUndefined();
    expect([...(await tags.load('t1')).state.tags]).toEqual(['red', 'blue']);
  });

  it('reports a failing snapshot store without failing the command', async () => {
    const spy: Spy = { appends: 0, pageReads: 0, eventsRead: 0, snapshotsSaved: [] };
    const failure = new Error('disk full');
    const inner = createInMemoryStorage();
    const storage: EventStorage<unknown> = {
      ...decorate(inner, spy),
      saveSnapshot: () => Promise.reject(failure),
    };
    const store = createEventStore({ storage, events: [Counter] });
    opened.push(store);
    const reported: unknown[] = [];
    const counters = createRepository(store, Counter.withSnapshots({ every: 1 }), {
      onSnapshotError: (error) => reported.push(error),
    });
    const result = await counters.execute('c1', 'increment', { by: 1 });
    expect(result.version).toBe(1);
    expect(reported).toEqual([failure]);
  });
});

describe('aggregate repository: stream types', () => {
  it('refuses to load or execute on a stream written with another stream type', async () => {
    const { store, spy } = setup();
    await store.append('Counter-c1', [{ type: 'Noted', data: { note: 'not a counter' } }], {
      streamType: 'Audit',
    });
    const counters = createRepository(store, Counter);
    const loadError = await caught(StreamTypeMismatchError, () => counters.load('c1'));
    expect(loadError).toMatchObject({
      code: 'STREAM_TYPE_MISMATCH',
      streamId: 'Counter-c1',
      expectedType: 'Counter',
      actualType: 'Audit',
    });
    expect(loadError.message).toBe('Stream "Counter-c1" is of type "Audit", not "Counter"');
    spy.appends = 0;
    const executeError = await caught(StreamTypeMismatchError, () =>
      counters.execute('c1', 'increment', { by: 1 }),
    );
    expect(executeError.actualType).toBe('Audit');
    expect(spy.appends).toBe(0);
    const events: StoredEvent[] = await collect(store.readStream('Counter-c1'));
    expect(events.map((event) => event.type)).toEqual(['Noted']);
  });
});
