import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type AppendRequest,
  createEventStore,
  createProjectionRunner,
  createRepository,
  defineAggregate,
  defineProjection,
  defineStreamType,
  type ExpectedVersion,
  isHindsightError,
  type PreparedEvent,
  type StoredEvent,
} from '@hindsight/core';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSqliteStorage, defaultSqlitePath } from './sqlite-storage.js';

const Tally = defineStreamType('Tally', { Counted: z.object({ n: z.number() }) });

const folder = mkdtempSync(join(tmpdir(), 'hindsight-sqlite-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let files = 0;
const freshPath = () => join(folder, `storage-${++files}.db`);

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});
function track<T extends { close(): unknown }>(resource: T): T {
  opened.push(resource);
  return resource;
}
const open = (options: Parameters<typeof createSqliteStorage>[0] = {}) =>
  track(createSqliteStorage(options.database === undefined ? { path: freshPath(), ...options } : options));

function request(
  streamId: string,
  expectedVersion: ExpectedVersion,
  types: readonly string[],
): AppendRequest {
  return {
    streamId,
    streamType: 'Thing',
    expectedVersion,
    events: types.map(
      (type): PreparedEvent => ({ eventId: crypto.randomUUID(), type, data: { type }, metadata: {} }),
    ),
  };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(isHindsightError(error) && error.code).toBe(code);
  return error;
}

describe('opening', () => {
  it('creates the file and its folders, in WAL mode with the chosen durability', () => {
    const path = join(folder, 'nested', 'deeper', 'events.db');
    const storage = open({ path });
    expect(existsSync(path)).toBe(true);
    expect(storage.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(storage.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(storage.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(storage.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const normal = open({ synchronous: 'normal', busyTimeoutMs: 250 });
    expect(normal.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(normal.db.pragma('busy_timeout', { simple: true })).toBe(250);
    expect(defaultSqlitePath).toBe('.hindsight/events.db');
  });

  it('refuses options out of their domain', () => {
    const wrong = [
      { synchronous: 'off' as 'full' },
      { busyTimeoutMs: -1 },
      { busyTimeoutMs: 1.5 },
      { pollIntervalMs: 0 },
    ];
    for (const options of wrong) {
      expect(() => createSqliteStorage({ path: freshPath(), ...options })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });

  it('uses a database you pass and leaves it open on close', async () => {
    const db = track(new Database(freshPath()));
    const storage = createSqliteStorage({ database: db });
    await storage.append(request('mine', 'no_stream', ['A']));
    await storage.close();
    expect(db.open).toBe(true);
    expect(db.prepare('SELECT count(*) FROM hindsight_events').pluck().get()).toBe(1);
  });

  it('closes a database it opened, and refuses calls afterwards', async () => {
    const storage = createSqliteStorage({ path: freshPath() });
    await storage.close();
    await storage.close();
    expect(storage.db.open).toBe(false);
    await expectCode(storage.append(request('late', 'any', ['A'])), 'STORE_CLOSED');
    await expectCode(storage.readAll({ after: 0, limit: 1 }), 'STORE_CLOSED');
    await expectCode(
      storage.transaction(async () => undefined),
      'STORE_CLOSED',
    );
    expect(() => storage.onAppended(() => undefined)).toThrow(
      expect.objectContaining({ code: 'STORE_CLOSED' }),
    );
  });

  it('lets appends already under way finish before closing', async () => {
    const storage = createSqliteStorage({ path: freshPath() });
    const appending = storage.append(request('slow', 'no_stream', ['A']), () => delay(20));
    await storage.close();
    expect((await appending).version).toBe(1);
    expect(storage.db.open).toBe(false);
  });

  it('reads back everything after reopening the file', async () => {
    const path = freshPath();
    const first = createSqliteStorage({ path });
    const written: StoredEvent[] = [];
    for (let index = 0; index < 20; index += 1) {
      written.push(...(await first.append(request(`s-${index % 3}`, 'any', ['A', 'B']))).events);
    }
    await first.saveSnapshot({
      streamId: 's-0',
      streamType: 'Thing',
      version: 4,
      schemaVersion: 1,
      state: { n: 4 },
      timestamp: new Date(5),
    });
    await first.saveCheckpoint('consumer', 17);
    await first.close();

    const reopened = open({ path });
    expect(await reopened.readAll({ after: 0, limit: 1000 })).toEqual(written);
    expect(await reopened.headPosition()).toBe(40);
    expect(await reopened.streamInfo('s-1')).toEqual({ streamId: 's-1', streamType: 'Thing', version: 14 });
    expect((await reopened.loadSnapshot('s-0'))?.state).toEqual({ n: 4 });
    expect(await reopened.loadCheckpoint('consumer')).toBe(17);
    expect((await reopened.append(request('s-0', 14, ['C']))).position).toBe(41);
  });

  it('returns plain numbers even on a connection that reads integers as BigInt', async () => {
    const db = track(new Database(freshPath()).defaultSafeIntegers(true));
    const storage = createSqliteStorage({ database: db });
    const result = await storage.append(request('big', 'no_stream', ['A']));
    expect(result.position).toBe(1);
    const [event] = await storage.readStream('big', { direction: 'forward', limit: 1 });
    expect(event?.version).toBe(1);
    expect(event?.position).toBe(1);
    expect(await storage.headPosition()).toBe(1);
    await storage.saveCheckpoint('c', 1);
    expect(await storage.loadCheckpoint('c')).toBe(1);
    await storage.close();
  });
});

describe('appending', () => {
  it('stamps events with the injected clock, stores milliseconds and returns Dates', async () => {
    let now = Date.parse('2026-03-01T10:00:00.000Z');
    const storage = open({ clock: () => new Date(now) });
    await storage.append(request('timed', 'no_stream', ['A']));
    now += 60_000;
    await storage.append(request('timed', 1, ['B']));
    expect(
      storage.db.prepare('SELECT recorded_at FROM hindsight_events ORDER BY position').pluck().all(),
    ).toEqual([now - 60_000, now]);
    const asOf = await storage.readStream('timed', {
      direction: 'backward',
      until: new Date(now - 1),
      limit: 10,
    });
    expect(asOf.map((event) => [event.type, event.timestamp])).toEqual([['A', new Date(now - 60_000)]]);
  });

  it('returns copies of what it stored, detached from the request', async () => {
    const storage = open();
    const append = request('copies', 'no_stream', ['A']);
    const result = await storage.append(append);
    expect(result.events[0]?.data).toEqual(append.events[0]?.data);
    expect(result.events[0]?.data).not.toBe(append.events[0]?.data);
  });

  it('writes read models in the same transaction as the events', async () => {
    const storage = open();
    storage.db.exec('CREATE TABLE totals (stream_id TEXT PRIMARY KEY, events INTEGER NOT NULL)');
    const project = async ({ db }: { db: Database.Database }, events: readonly StoredEvent[]) => {
      await delay(1);
      const upsert = db.prepare(
        'INSERT INTO totals (stream_id, events) VALUES (?, 1) ' +
          'ON CONFLICT (stream_id) DO UPDATE SET events = events + 1',
      );
      for (const event of events) upsert.run(event.streamId);
    };
    await storage.append(request('order-1', 'no_stream', ['A', 'B']), project);
    await expect(
      storage.append(request('order-1', 2, ['C']), async (transaction, events) => {
        await project(transaction, events);
        throw new Error('refused after writing');
      }),
    ).rejects.toThrow('refused after writing');
    expect(storage.db.prepare('SELECT events FROM totals').pluck().all()).toEqual([2]);
    expect((await storage.streamInfo('order-1'))?.version).toBe(2);
  });

  it('runs no hook and notifies nobody for a retry that was already stored', async () => {
    const storage = open();
    const heads: number[] = [];
    storage.onAppended((head) => heads.push(head));
    const original = request('retry', 'no_stream', ['A']);
    await storage.append(original);
    let hooked = 0;
    const retry = await storage.append(original, async () => {
      hooked += 1;
    });
    expect(retry.alreadyStored).toBe(true);
    expect(hooked).toBe(0);
    expect(heads).toEqual([1]);
  });

  it('tells listeners synchronously after commit, and a failing listener undoes nothing', async () => {
    const storage = open();
    const heads: number[] = [];
    storage.onAppended(() => {
      throw new Error('listener bug');
    });
    const stop = storage.onAppended((head) => heads.push(head));
    await storage.append(request('n', 'no_stream', ['A', 'B']));
    expect(heads).toEqual([2]);
    stop();
    await storage.append(request('n', 2, ['C']));
    expect(heads).toEqual([2]);
    expect(await storage.headPosition()).toBe(3);
  });
});

describe('contended streams', () => {
  const Counter = defineAggregate('Counter')
    .events({ Incremented: z.object({ by: z.number() }) })
    .initialState(() => ({ total: 0 }))
    .evolve({ Incremented: (state, { data }) => ({ total: state.total + data.by }) })
    .commands({ increment: (_state, input: { by: number }) => ({ type: 'Incremented', data: input }) });

  it('lets 20 concurrent executes on one stream all succeed with default settings', async () => {
    const counters = createRepository(createEventStore({ storage: open(), events: [Counter] }), Counter);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => counters.execute('busy', 'increment', { by: 1 })),
    );
    expect(results.map((result) => result.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
  });
});

describe('the event loop', () => {
  it('lets timers run during 5,000 sequential appends', async () => {
    const store = createEventStore({ storage: open(), events: [Tally] });
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 10);
    let stopRequested = false;
    // A SIGTERM-style handler arrives through the event loop, like a timer does.
    setTimeout(() => {
      stopRequested = true;
    }, 10);
    let appended = 0;
    try {
      for (let index = 0; index < 5_000; index += 1) {
        await store.append(`Tally-${index % 10}`, [{ type: 'Counted', data: { n: index } }], {
          streamType: 'Tally',
        });
        appended += 1;
        if (stopRequested && ticks >= 2) break;
      }
    } finally {
      clearInterval(timer);
    }
    expect(stopRequested).toBe(true);
    expect(ticks).toBeGreaterThanOrEqual(2);
    expect(appended).toBeGreaterThan(0);
  });
});

describe('transactions', () => {
  it('keep reads outside the transaction on committed data, without waiting for it', async () => {
    const storage = open();
    await storage.append(request('base', 'no_stream', ['A']));
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let readInside: readonly StoredEvent[] = [];
    const appending = storage.append(request('pending', 'no_stream', ['B']), async ({ db }) => {
      readInside = await storage.readAll({ after: 0, limit: 10 });
      expect(db.prepare('SELECT count(*) FROM hindsight_events').pluck().get()).toBe(2);
      await held;
    });
    await delay(5);
    expect(await storage.headPosition()).toBe(1);
    expect(await storage.streamInfo('pending')).toBeUndefined();
    expect(readInside.map((event) => event.streamId)).toEqual(['base']);
    release();
    await appending;
    expect(await storage.headPosition()).toBe(2);
  });

  it('make reads wait for the commit on an in-memory database, which has one connection', async () => {
    const storage = open({ path: ':memory:' });
    let release = (): void => undefined;
    const appending = storage.append(
      request('pending', 'no_stream', ['B']),
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    await delay(5);
    const head = storage.headPosition();
    release();
    await appending;
    expect(await head).toBe(1);
  });

  it('rebuild a projection on an in-memory database: the switch reads the log inside its transaction', async () => {
    const storage = open({ path: ':memory:' });
    const store = createEventStore({ storage, events: [Tally] });
    for (let n = 1; n <= 5; n += 1)
      await store.append('t-1', [{ type: 'Counted', data: { n } }], { streamType: 'Tally' });
    const totals = new Map<number, number>();
    const Totals = defineProjection('totals', { from: [Tally] }).on('Counted', (event, { version }) => {
      totals.set(version, (totals.get(version) ?? 0) + event.data.n);
    });
    const runner = createProjectionRunner(store, Totals);
    await runner.start();
    await runner.waitUntilCaughtUp();
    expect(await runner.rebuild()).toMatchObject({ version: 2, previousVersion: 1, events: 5 });
    await runner.stop();
    expect(totals.get(2)).toBe(15);
  });

  it('save checkpoints only through an open transaction of the same storage', async () => {
    const storage = open();
    const other = open();
    let leaked: unknown;
    await storage.transaction(async (transaction) => {
      leaked = transaction;
      await expectCode(other.saveCheckpoint('c', 1, transaction), 'INVALID_ARGUMENT');
      await expectCode(storage.saveCheckpoint('c', 1, { db: storage.db }), 'INVALID_ARGUMENT');
    });
    await expectCode(storage.saveCheckpoint('c', 1, leaked as { db: Database.Database }), 'INVALID_ARGUMENT');
    expect(await storage.loadCheckpoint('c')).toBeUndefined();
  });

  it('return the work’s result and commit its own statements with its checkpoints', async () => {
    const storage = open();
    storage.db.exec('CREATE TABLE seen (id TEXT)');
    const result = await storage.transaction(async (transaction) => {
      transaction.db.prepare('INSERT INTO seen VALUES (?)').run('x');
      await storage.saveCheckpoint('c', 3, transaction);
      return 'done';
    });
    expect(result).toBe('done');
    expect(storage.db.prepare('SELECT id FROM seen').pluck().all()).toEqual(['x']);
    expect(await storage.loadCheckpoint('c')).toBe(3);
  });
});

describe('sharing the file with other connections', () => {
  it('waits for another connection’s write lock without blocking the event loop', async () => {
    const path = freshPath();
    const storage = open({ path, busyTimeoutMs: 2000 });
    const blocker = track(new Database(path));
    blocker.exec('BEGIN IMMEDIATE');
    const appending = storage.append(request('waited', 'no_stream', ['A']));
    const started = Date.now();
    for (let tick = 0; tick < 5; tick += 1) await delay(10);
    // A synchronous busy wait would have held these timers back for the whole busy timeout.
    expect(Date.now() - started).toBeLessThan(1000);
    blocker.exec('COMMIT');
    expect((await appending).version).toBe(1);
  });

  it('fails with a retryable STORAGE_UNAVAILABLE when the lock is held beyond the busy timeout', async () => {
    const path = freshPath();
    const storage = open({ path, busyTimeoutMs: 50 });
    const blocker = track(new Database(path));
    blocker.exec('BEGIN IMMEDIATE');
    const started = Date.now();
    const error = await expectCode(
      storage.append(request('locked', 'no_stream', ['A'])),
      'STORAGE_UNAVAILABLE',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    await expectCode(storage.saveCheckpoint('c', 1), 'STORAGE_UNAVAILABLE');
    blocker.exec('ROLLBACK');
    expect((await storage.append(request('locked', 'no_stream', ['A']))).version).toBe(1);
  });

  it('lets a second storage in the same process wait for a hook of the first', async () => {
    const path = freshPath();
    const first = open({ path });
    const second = open({ path });
    const started = Date.now();
    const order: string[] = [];
    const hooked = first.append(request('a', 'no_stream', ['A']), async () => {
      await delay(30);
      order.push('first committed');
    });
    await delay(5);
    const waiting = second
      .append(request('b', 'no_stream', ['B']))
      .then(() => order.push('second committed'));
    await Promise.all([hooked, waiting]);
    expect(order).toEqual(['first committed', 'second committed']);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await second.readAll({ after: 0, limit: 10 })).map((event) => event.streamId)).toEqual([
      'a',
      'b',
    ]);
  });

  it('notices appends committed by another connection while listening', async () => {
    const path = freshPath();
    const listening = open({ path, pollIntervalMs: 5 });
    const writer = open({ path });
    const heads: number[] = [];
    const stop = listening.onAppended((head) => heads.push(head));
    await writer.append(request('elsewhere', 'no_stream', ['A', 'B']));
    const deadline = Date.now() + 2000;
    while (!heads.includes(2) && Date.now() < deadline) await delay(5);
    expect(heads).toEqual([2]);
    stop();
    await writer.append(request('elsewhere', 2, ['C']));
    await delay(30);
    expect(heads).toEqual([2]);
  });
});

describe('reading the global log', () => {
  it('treats duplicate filter values once, empty filters as matching nothing, and many types alike', async () => {
    const storage = open();
    const types = Array.from({ length: 40 }, (_, index) => `T${index}`);
    await storage.append(request('many', 'no_stream', types));
    const read = (query: { types?: string[]; streamTypes?: string[] }) =>
      storage.readAll({ after: 0, limit: 100, ...query }).then((page) => page.map((event) => event.type));
    expect(await read({ types: ['T3', 'T1', 'T3'] })).toEqual(['T1', 'T3']);
    expect(await read({ types: [] })).toEqual([]);
    expect(await read({ streamTypes: [] })).toEqual([]);
    expect(await read({ types: [...types].reverse() })).toEqual(types);
    expect(await read({ types: [...types].reverse(), streamTypes: ['Other'] })).toEqual([]);
    expect(await read({ streamTypes: ['Thing', 'Other', 'Thing'] })).toEqual(types);
    const page = await storage.readAll({ after: 10, upTo: 12, limit: 100, types });
    expect(page.map((event) => event.position)).toEqual([11, 12]);
  });
});

describe('documents', () => {
  it('puts, replaces, gets and deletes JSON documents per collection', async () => {
    const storage = open();
    expect(await storage.documents.get('deadlines', 'a')).toBeUndefined();
    const value = { due: '2026-01-01', tries: [1, 2] };
    await storage.documents.put('deadlines', 'a', value);
    await storage.documents.put('letters', 'a', 'other collection');
    const loaded = await storage.documents.get('deadlines', 'a');
    expect(loaded).toEqual({ key: 'a', value });
    expect(loaded?.value).not.toBe(value);
    await storage.documents.put('deadlines', 'a', null);
    expect(await storage.documents.get('deadlines', 'a')).toEqual({ key: 'a', value: null });
    await storage.documents.delete('deadlines', 'a');
    await storage.documents.delete('deadlines', 'never there');
    expect(await storage.documents.get('deadlines', 'a')).toBeUndefined();
    expect(await storage.documents.get('letters', 'a')).toEqual({ key: 'a', value: 'other collection' });
  });

  it('lists a key range in ascending binary order', async () => {
    const storage = open();
    for (const key of ['2026-03', '2026-01', 'B', 'a', '2026-02']) await storage.documents.put('c', key, key);
    await storage.documents.put('d', '2026-01', 'elsewhere');
    const keys = (query: { after?: string; upTo?: string; limit: number }) =>
      storage.documents.list('c', query).then((page) => page.map((document) => document.key));
    expect(await keys({ limit: 10 })).toEqual(['2026-01', '2026-02', '2026-03', 'B', 'a']);
    expect(await keys({ after: '2026-01', limit: 2 })).toEqual(['2026-02', '2026-03']);
    expect(await keys({ upTo: '2026-02', limit: 10 })).toEqual(['2026-01', '2026-02']);
    expect(await keys({ after: '2026-01', upTo: 'B', limit: 10 })).toEqual(['2026-02', '2026-03', 'B']);
    expect(await storage.documents.list('c', { after: 'B', limit: 10 })).toEqual([{ key: 'a', value: 'a' }]);
  });

  it('see their transaction’s own writes and commit or roll back with it', async () => {
    const storage = open();
    await storage.documents.put('pm', 'order-1', { step: 1 });
    await expect(
      storage.transaction(async (transaction) => {
        await storage.documents.put('pm', 'order-1', { step: 2 }, transaction);
        await storage.documents.put('pm', 'order-2', { step: 1 }, transaction);
        await storage.documents.delete('pm', 'order-1', transaction);
        expect(await storage.documents.get('pm', 'order-1', transaction)).toBeUndefined();
        expect(await storage.documents.list('pm', { limit: 10 }, transaction)).toEqual([
          { key: 'order-2', value: { step: 1 } },
        ]);
        expect(await storage.documents.get('pm', 'order-1')).toEqual({ key: 'order-1', value: { step: 1 } });
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await storage.documents.list('pm', { limit: 10 })).toEqual([
      { key: 'order-1', value: { step: 1 } },
    ]);

    await storage.transaction(async (transaction) => {
      await storage.documents.put('pm', 'order-1', { step: 2 }, transaction);
      await storage.saveCheckpoint('pm', 9, transaction);
    });
    expect(await storage.documents.get('pm', 'order-1')).toEqual({ key: 'order-1', value: { step: 2 } });
    expect(await storage.loadCheckpoint('pm')).toBe(9);
    await expectCode(storage.documents.get('pm', 'order-1', { db: storage.db }), 'INVALID_ARGUMENT');
  });
});
