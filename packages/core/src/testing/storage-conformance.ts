import assert from 'node:assert/strict';
import { isHindsightError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import type {
  AppendFence,
  AppendRequest,
  DocumentStore,
  EventStorage,
  ExpectedVersion,
  LeaseStore,
  PreparedEvent,
  ReadHorizonMonitor,
  StorageAdmin,
  StorageCapability,
  StreamLifecycle,
  StreamLocks,
  StreamPageQuery,
} from '../streams/event-storage.js';
import { partitionOf } from '../subscriptions/partitions.js';
import { forgetHookCases, streamDeletedHookCases } from './consumer-hooks-conformance.js';
import { evolutionCases } from './evolution-conformance.js';
import { lifecycleCases } from './lifecycle-conformance.js';
import { shreddingCases } from './shredding-conformance.js';

/** Options of {@link storageConformanceCases}. */
export interface StorageConformanceOptions<Tx> {
  /** Opens a fresh, empty storage. Called once per case; the case closes it. */
  readonly create: () => Promise<EventStorage<Tx>>;
  /** Concurrent writers in the concurrency cases (default 16). */
  readonly writers?: number;
}

/**
 * What a test runner hands a case so that it can report itself skipped (vitest's test context
 * has it): a case of a capability the storage lacks calls `skip` rather than pass vacuously.
 *
 * @example
 * ```ts
 * it(testCase.name, (context) => testCase.run(context));
 * ```
 */
export interface ConformanceRunContext {
  skip(note?: string): void;
}

/**
 * One conformance case: register it with your test runner.
 *
 * @example
 * ```ts
 * for (const testCase of cases) it(testCase.name, (context) => testCase.run(context));
 * ```
 */
export interface ConformanceCase {
  /** Prefixed with the capability it proves, e.g. `documents: …`, for a capability's cases. */
  readonly name: string;
  /** The optional capability the case proves; undefined for the port's required primitives. */
  readonly requires: StorageCapability | undefined;
  /**
   * Runs the case on a fresh storage. When the storage lacks `requires`, calls `context.skip`;
   * without a context to report the skip to, it fails instead of passing vacuously.
   */
  readonly run: (context?: ConformanceRunContext) => Promise<void>;
}

/**
 * The storage contract every adapter must pass: ordering, versions, optimistic concurrency under
 * many concurrent writers, idempotent event ids, atomic appends, pagination, time travel,
 * snapshots, checkpoints, gap-free global reads and schema evolution through the read gate
 * (upcasting, renamed and split types, validation on read); then each optional capability the storage
 * has (documents, leases, admin listings, the append fence, stream locks, the read horizon). The
 * cases of a capability it lacks report themselves skipped. Runner-agnostic: it only needs `it`
 * and a way to skip from inside a test.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { storageConformanceCases } from '@hindsight/core/testing';
 *
 * describe('my storage', () => {
 *   for (const testCase of storageConformanceCases({ create: async () => createMyStorage() })) {
 *     it(testCase.name, (context) => testCase.run(context));
 *   }
 * });
 * ```
 */
export function storageConformanceCases<Tx>(options: StorageConformanceOptions<Tx>): ConformanceCase[] {
  const writers = options.writers ?? 16;
  const primitives = Object.entries({ ...cases<Tx>(writers), ...evolutionCases<Tx>() }).map(([name, body]) =>
    conformanceCase(options, name, undefined, async (storage) => {
      await body(storage);
      return 'ran' as const;
    }),
  );
  const capabilities = capabilityCases<Tx>(writers).map(({ capability, name, body }) =>
    conformanceCase(options, `${capability}: ${name}`, capability, (storage) => {
      const present = storage[capability];
      return present === undefined ? 'missing' : body(present as never, storage).then(() => 'ran');
    }),
  );
  // Crypto-shredding keeps subject keys in documents by default: its cases need the capability.
  const shredding = Object.entries(shreddingCases<Tx>()).map(([name, body]) =>
    conformanceCase(options, `documents: ${name}`, 'documents', (storage) =>
      storage.documents === undefined ? 'missing' : body(storage).then(() => 'ran' as const),
    ),
  );
  // Consumers' hooks: projection versions and the cases' read models live in documents.
  const hooks = [
    ...Object.entries(streamDeletedHookCases<Tx>()).map(([name, body]) =>
      conformanceCase(options, `lifecycle: ${name}`, 'lifecycle', (storage) =>
        storage.lifecycle === undefined || storage.documents === undefined
          ? 'missing'
          : body(storage).then(() => 'ran' as const),
      ),
    ),
    ...Object.entries(forgetHookCases<Tx>()).map(([name, body]) =>
      conformanceCase(options, `documents: ${name}`, 'documents', (storage) =>
        storage.documents === undefined ? 'missing' : body(storage).then(() => 'ran' as const),
      ),
    ),
  ];
  return [...primitives, ...capabilities, ...shredding, ...hooks];
}

function conformanceCase<Tx>(
  options: StorageConformanceOptions<Tx>,
  name: string,
  requires: StorageCapability | undefined,
  body: (storage: EventStorage<Tx>) => Promise<'ran' | 'missing'> | 'missing',
): ConformanceCase {
  return {
    name,
    requires,
    run: async (context) => {
      const storage = await options.create();
      let outcome: 'ran' | 'missing';
      try {
        outcome = await body(storage);
      } finally {
        await storage.close();
      }
      if (outcome !== 'missing') return;
      const note = `the ${storage.kind} storage has no ${requires ?? ''} capability`;
      if (context === undefined) {
        throw new Error(`${note}: run the case with a context that can skip it (see ConformanceRunContext)`);
      }
      context.skip(note);
    },
  };
}

type CaseBody<Tx> = (storage: EventStorage<Tx>) => Promise<void>;

/** The capability objects a storage may have, by name. */
interface Capabilities<Tx> {
  readonly documents: DocumentStore<Tx>;
  readonly leases: LeaseStore<Tx>;
  readonly admin: StorageAdmin;
  readonly appendFence: AppendFence<Tx>;
  readonly streamLocks: StreamLocks;
  readonly readHorizon: ReadHorizonMonitor;
  readonly lifecycle: StreamLifecycle<Tx>;
  readonly partitionedReads: true;
}

type CapabilityCase<Tx> = {
  [Name in StorageCapability]: {
    readonly capability: Name;
    readonly name: string;
    readonly body: (capability: Capabilities<Tx>[Name], storage: EventStorage<Tx>) => Promise<void>;
  };
}[StorageCapability];

function cases<Tx>(writers: number): Record<string, CaseBody<Tx>> {
  return {
    'assigns contiguous versions from 1 and increasing positions': async (storage) => {
      const first = await storage.append(request('s-1', 'no_stream', ['A', 'B']));
      const second = await storage.append(request('s-2', 'no_stream', ['A']));
      const third = await storage.append(request('s-1', 2, ['C']));
      assert.deepEqual(
        first.events.map((event) => event.version),
        [1, 2],
      );
      assert.equal(first.version, 2);
      assert.equal(third.version, 3);
      assert.equal(third.events[0]?.version, 3);
      const positions = [...first.events, ...second.events, ...third.events].map((event) => event.position);
      assertStrictlyIncreasing(positions);
      assert.equal(first.position, first.events[1]?.position);
      assert.equal(await storage.headPosition(), third.position);
      assert.equal(first.alreadyStored, false);
    },

    'returns the stored envelope on append and on reads': async (storage) => {
      const event = prepared(
        'Created',
        { name: 'Zoë 🚀', nested: { list: [1, 'two', null, true] } },
        { actorId: 'u-1', correlationId: 'c-1', custom: { deep: [1] } },
      );
      const before = Date.now();
      const result = await storage.append({
        streamId: 'env-1',
        streamType: 'Thing',
        expectedVersion: 'any',
        events: [event],
      });
      const stored = result.events[0];
      assert.ok(stored !== undefined);
      assert.equal(stored.eventId, event.eventId);
      assert.equal(stored.streamId, 'env-1');
      assert.equal(stored.streamType, 'Thing');
      assert.equal(stored.type, 'Created');
      assert.deepEqual(stored.data, event.data);
      assert.deepEqual(stored.metadata, event.metadata);
      assert.ok(stored.timestamp instanceof Date);
      assert.ok(
        Math.abs(stored.timestamp.getTime() - before) < 60_000,
        'timestamp is the time of the append',
      );
      const [read] = await storage.readStream('env-1', { direction: 'forward', limit: 10 });
      assert.deepEqual(read, stored);
      const [fromAll] = await storage.readAll({ after: 0, limit: 10 });
      assert.deepEqual(fromAll, stored);
    },

    'stores hostile stream ids verbatim': async (storage) => {
      const ids = [
        "o'; DROP TABLE events; --",
        '../../etc/passwd',
        'C:\\temp\\x',
        'ünï©ødé-𝄞',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a hostile id that looks like a template on purpose
        '%s %d ${x}',
        ' ',
      ];
      for (const id of ids) await storage.append(request(id, 'no_stream', ['A']));
      for (const id of ids) {
        const info = await storage.streamInfo(id);
        assert.deepEqual(info, { streamId: id, streamType: 'Thing', version: 1 });
        const events = await storage.readStream(id, { direction: 'forward', limit: 5 });
        assert.equal(events[0]?.streamId, id);
      }
      assert.equal((await storage.readAll({ after: 0, limit: 100 })).length, ids.length);
    },

    'enforces every kind of expected version and writes nothing on conflict': async (storage) => {
      await storage.append(request('ev-1', 'no_stream', ['A']));
      await assertConflict(storage.append(request('ev-1', 'no_stream', ['B'])), 'ev-1', 1);
      await assertConflict(storage.append(request('ev-1', 0, ['B'])), 'ev-1', 1);
      await assertConflict(storage.append(request('ev-1', 2, ['B'])), 'ev-1', 1);
      await assertConflict(storage.append(request('ev-missing', 'stream_exists', ['B'])), 'ev-missing', 0);
      await assertConflict(storage.append(request('ev-missing', 3, ['B'])), 'ev-missing', 0);
      assert.equal((await storage.streamInfo('ev-1'))?.version, 1);
      assert.equal(await storage.streamInfo('ev-missing'), undefined);
      assert.equal(await storage.headPosition(), 1);
      assert.equal((await storage.append(request('ev-1', 'stream_exists', ['B']))).version, 2);
      assert.equal((await storage.append(request('ev-1', 'any', ['C']))).version, 3);
      assert.equal((await storage.append(request('ev-2', 'any', ['A']))).version, 1);
      assert.equal((await storage.append(request('ev-3', 0, ['A']))).version, 1);
    },

    'lets exactly one of many concurrent writers win per expected version': async (storage) => {
      await storage.append(request('race', 'no_stream', ['Start']));
      for (let round = 1; round <= 3; round += 1) {
        const attempts = await Promise.allSettled(
          Array.from({ length: writers }, () => storage.append(request('race', round, ['Step']))),
        );
        const winners = attempts.filter((attempt) => attempt.status === 'fulfilled');
        assert.equal(winners.length, 1, `round ${round}: exactly one winner`);
        for (const attempt of attempts) {
          if (attempt.status === 'rejected')
            assert.ok(isHindsightError(attempt.reason, 'CONCURRENCY_CONFLICT'), String(attempt.reason));
        }
      }
      const events = await storage.readStream('race', { direction: 'forward', limit: 100 });
      assert.deepEqual(
        events.map((event) => event.version),
        [1, 2, 3, 4],
      );
    },

    'creates a stream exactly once under concurrent no_stream writers': async (storage) => {
      const attempts = await Promise.allSettled(
        Array.from({ length: writers }, () => storage.append(request('fresh', 'no_stream', ['Created']))),
      );
      assert.equal(attempts.filter((attempt) => attempt.status === 'fulfilled').length, 1);
      assert.equal((await storage.streamInfo('fresh'))?.version, 1);
      assert.equal(
        await storage.headPosition(),
        (await storage.readAll({ after: 0, limit: 100 })).at(-1)?.position,
      );
    },

    'stores an event id once: an identical retry returns the stored result': async (storage) => {
      const original = request('idem', 'no_stream', ['A', 'B']);
      const first = await storage.append(original);
      const retry = await storage.append(original);
      assert.equal(retry.alreadyStored, true);
      assert.deepEqual(retry.events, first.events);
      assert.equal(retry.version, 2);
      assert.equal(retry.position, first.position);
      assert.equal((await storage.readAll({ after: 0, limit: 100 })).length, 2);
    },

    'refuses event ids that are not an identical retry': async (storage) => {
      const original = request('idem-a', 'no_stream', ['A', 'B']);
      await storage.append(original);
      const reused = original.events[0] as PreparedEvent;
      const partial = { ...request('idem-a', 'any', ['C']), events: [reused, prepared('C')] };
      await assertCode(storage.append(partial), 'EVENT_ID_CONFLICT');
      const elsewhere = { ...request('idem-b', 'any', ['A']), events: [reused] };
      await assertCode(storage.append(elsewhere), 'EVENT_ID_CONFLICT');
      assert.equal((await storage.readAll({ after: 0, limit: 100 })).length, 2);
      assert.equal(await storage.streamInfo('idem-b'), undefined);
    },

    'refuses a stream type other than the stream has': async (storage) => {
      await storage.append(request('typed', 'no_stream', ['A']));
      await assertCode(
        storage.append({ ...request('typed', 'any', ['B']), streamType: 'Other' }),
        'STREAM_TYPE_MISMATCH',
      );
      assert.equal((await storage.streamInfo('typed'))?.version, 1);
    },

    'commits an append with its transaction hook, or neither': async (storage) => {
      let seen: readonly StoredEvent[] = [];
      await storage.append(request('hooked', 'no_stream', ['A', 'B']), async (_tx, events) => {
        seen = events;
      });
      assert.deepEqual(
        seen.map((event) => event.version),
        [1, 2],
      );
      await assert.rejects(
        storage.append(request('hooked', 2, ['C']), async () => {
          throw new Error('read model refused');
        }),
        /read model refused/,
      );
      await assert.rejects(
        storage.append(request('hooked-new', 'no_stream', ['A']), async () => {
          throw new Error('read model refused');
        }),
        /read model refused/,
      );
      assert.equal((await storage.streamInfo('hooked'))?.version, 2);
      assert.equal(await storage.streamInfo('hooked-new'), undefined);
      assert.equal(await storage.headPosition(), seen.at(-1)?.position);
      const next = await storage.append(request('hooked', 2, ['C']));
      assert.equal(next.version, 3);
    },

    'reads a stream forward and backward in pages with version bounds': async (storage) => {
      await storage.append(
        request(
          'paged',
          'no_stream',
          Array.from({ length: 25 }, (_, index) => `E${index + 1}`),
        ),
      );
      await storage.append(request('other', 'no_stream', ['X']));
      const versions = async (query: StreamPageQuery) =>
        (await storage.readStream('paged', query)).map((event) => event.version);
      assert.deepEqual(await versions({ direction: 'forward', limit: 3 }), [1, 2, 3]);
      assert.deepEqual(await versions({ direction: 'forward', minVersion: 23, limit: 10 }), [23, 24, 25]);
      assert.deepEqual(
        await versions({ direction: 'forward', minVersion: 5, maxVersion: 7, limit: 10 }),
        [5, 6, 7],
      );
      assert.deepEqual(await versions({ direction: 'backward', limit: 3 }), [25, 24, 23]);
      assert.deepEqual(await versions({ direction: 'backward', maxVersion: 3, limit: 10 }), [3, 2, 1]);
      assert.deepEqual(
        await versions({ direction: 'backward', minVersion: 10, maxVersion: 12, limit: 10 }),
        [12, 11, 10],
      );
      assert.deepEqual(await versions({ direction: 'forward', minVersion: 26, limit: 10 }), []);
      assert.deepEqual(await storage.readStream('missing', { direction: 'forward', limit: 10 }), []);
    },

    'reads the global log in position order with filters and bounds': async (storage) => {
      await storage.append(request('g-1', 'no_stream', ['A', 'B']));
      await storage.append({ ...request('g-2', 'no_stream', ['A', 'C']), streamType: 'Other' });
      await storage.append(request('g-1', 2, ['C']));
      const all = await storage.readAll({ after: 0, limit: 100 });
      assert.equal(all.length, 5);
      assertStrictlyIncreasing(all.map((event) => event.position));
      assert.deepEqual(
        all.map((event) => `${event.streamId}:${event.type}`),
        ['g-1:A', 'g-1:B', 'g-2:A', 'g-2:C', 'g-1:C'],
      );
      const third = all[2] as StoredEvent;
      assert.deepEqual(
        (await storage.readAll({ after: third.position, limit: 100 })).map((event) => event.type),
        ['C', 'C'],
      );
      assert.deepEqual(
        (await storage.readAll({ after: 0, upTo: third.position, limit: 100 })).map((event) => event.type),
        ['A', 'B', 'A'],
      );
      assert.equal((await storage.readAll({ after: 0, limit: 2 })).length, 2);
      assert.deepEqual(
        (await storage.readAll({ after: 0, limit: 100, types: ['C'] })).map((event) => event.streamId),
        ['g-2', 'g-1'],
      );
      assert.deepEqual(
        (await storage.readAll({ after: 0, limit: 100, streamTypes: ['Other'] })).map((event) => event.type),
        ['A', 'C'],
      );
      assert.deepEqual(
        (await storage.readAll({ after: 0, limit: 100, types: ['A'], streamTypes: ['Thing'] })).map(
          (event) => event.streamId,
        ),
        ['g-1'],
      );
      assert.deepEqual(
        await storage
          .readAll({ after: 0, limit: 1, types: ['C'], streamTypes: ['Other'] })
          .then((page) => page.length),
        1,
      );
    },

    'reads a stream as of a point in time': async (storage) => {
      const first = await storage.append(request('timed', 'no_stream', ['A']));
      await sleep(25);
      await storage.append(request('timed', 1, ['B']));
      const firstAt = (first.events[0] as StoredEvent).timestamp;
      const asOfFirst = await storage.readStream('timed', {
        direction: 'forward',
        until: firstAt,
        limit: 10,
      });
      assert.deepEqual(
        asOfFirst.map((event) => event.type),
        ['A'],
      );
      const before = await storage.readStream('timed', {
        direction: 'forward',
        until: new Date(firstAt.getTime() - 1000),
        limit: 10,
      });
      assert.deepEqual(before, []);
      const backward = await storage.readStream('timed', {
        direction: 'backward',
        until: firstAt,
        limit: 10,
      });
      assert.deepEqual(
        backward.map((event) => event.type),
        ['A'],
      );
    },

    'reads carried recording times back to the millisecond, from year 1 to year 9999': async (storage) => {
      const times = [
        '0001-01-01T00:00:00.001Z',
        '1969-12-31T23:59:59.999Z',
        '2026-12-01T03:30:00.999Z',
        '9999-12-31T23:59:59.999Z',
      ];
      const result = await storage.append({
        streamId: 'calendar',
        streamType: 'Thing',
        expectedVersion: 'no_stream',
        events: times.map((time) => ({ ...prepared('A'), recordedAt: new Date(time) })),
      });
      const read = await storage.readStream('calendar', { direction: 'forward', limit: 10 });
      const logged = await storage.readAll({ after: 0, limit: 100 });
      for (const events of [result.events, read, logged.filter((event) => event.streamId === 'calendar')]) {
        assert.deepEqual(
          events.map((event) => event.timestamp.toISOString()),
          times,
        );
      }
    },

    'keeps the recording times carried over with events, and reads as of them': async (storage) => {
      const past = new Date('2020-02-03T04:05:06.789Z');
      const later = new Date('2021-01-01T00:00:00.001Z');
      const carried = {
        streamId: 'carried',
        streamType: 'Thing',
        expectedVersion: 'no_stream' as const,
        events: [
          { ...prepared('A'), recordedAt: past },
          { ...prepared('B'), recordedAt: later },
          prepared('C'),
        ],
      };
      const result = await storage.append(carried);
      const read = await storage.readStream('carried', { direction: 'forward', limit: 10 });
      for (const events of [result.events, read]) {
        assert.deepEqual(
          events.slice(0, 2).map((event) => event.timestamp.toISOString()),
          [past.toISOString(), later.toISOString()],
        );
        assert.ok((events[2] as StoredEvent).timestamp.getTime() > Date.now() - 60_000);
      }
      const asOfPast = await storage.readStream('carried', {
        direction: 'forward',
        until: new Date('2020-12-31T00:00:00.000Z'),
        limit: 10,
      });
      assert.deepEqual(
        asOfPast.map((event) => event.type),
        ['A'],
      );
    },

    'reads as of a time in full pages when recording times go backwards': async (storage) => {
      // Imports keep the times events were first recorded, so versions need not follow time.
      const months = [6, 1, 7, 2, 8, 3, 9, 4, 10, 5];
      await storage.append({
        streamId: 'imported',
        streamType: 'Thing',
        expectedVersion: 'no_stream',
        events: months.map((month, index) => ({
          ...prepared(`E${index + 1}`),
          recordedAt: new Date(Date.UTC(2020, month - 1, 15)),
        })),
      });
      const until = new Date(Date.UTC(2020, 4, 31));
      const expected = ['E2', 'E4', 'E6', 'E8', 'E10'];
      const forward = await storage.readStream('imported', { direction: 'forward', until, limit: 3 });
      assert.deepEqual(
        forward.map((event) => event.type),
        expected.slice(0, 3),
      );
      const backward = await storage.readStream('imported', { direction: 'backward', until, limit: 3 });
      assert.deepEqual(
        backward.map((event) => event.type),
        expected.slice(2).reverse(),
      );
      for (const direction of ['forward', 'backward'] as const) {
        const all: string[] = [];
        // Paged as readers page: keyset on the last version of a full page, until a short one.
        let bound: number | undefined;
        for (;;) {
          const page = await storage.readStream('imported', {
            direction,
            until,
            limit: 2,
            ...(bound === undefined
              ? {}
              : direction === 'forward'
                ? { minVersion: bound }
                : { maxVersion: bound }),
          });
          all.push(...page.map((event) => event.type));
          const last = page.at(-1);
          if (last === undefined || page.length < 2) break;
          bound = direction === 'forward' ? last.version + 1 : last.version - 1;
        }
        assert.deepEqual(all, direction === 'forward' ? expected : [...expected].reverse());
      }
    },

    'keeps the newest snapshot per stream': async (storage) => {
      assert.equal(await storage.loadSnapshot('snap'), undefined);
      const timestamp = new Date('2026-01-02T03:04:05.000Z');
      await storage.saveSnapshot({
        streamId: 'snap',
        streamType: 'Thing',
        version: 10,
        schemaVersion: 1,
        state: { total: 10, items: ['a'] },
        timestamp,
      });
      await storage.saveSnapshot({
        streamId: 'snap',
        streamType: 'Thing',
        version: 20,
        schemaVersion: 2,
        state: { total: 20 },
        timestamp,
      });
      await storage.saveSnapshot({
        streamId: 'snap',
        streamType: 'Thing',
        version: 15,
        schemaVersion: 2,
        state: { total: 15 },
        timestamp,
      });
      const loaded = await storage.loadSnapshot('snap');
      assert.deepEqual(loaded, {
        streamId: 'snap',
        streamType: 'Thing',
        version: 20,
        schemaVersion: 2,
        state: { total: 20 },
        timestamp,
      });
    },

    'saves checkpoints, also inside a transaction that commits or rolls back': async (storage) => {
      assert.equal(await storage.loadCheckpoint('consumer-a'), undefined);
      await storage.saveCheckpoint('consumer-a', 5);
      assert.equal(await storage.loadCheckpoint('consumer-a'), 5);
      await storage.transaction(async (tx) => storage.saveCheckpoint('consumer-a', 7, tx));
      assert.equal(await storage.loadCheckpoint('consumer-a'), 7);
      await assert.rejects(
        storage.transaction(async (tx) => {
          await storage.saveCheckpoint('consumer-a', 9, tx);
          throw new Error('handler failed');
        }),
        /handler failed/,
      );
      assert.equal(await storage.loadCheckpoint('consumer-a'), 7);
      assert.equal(await storage.loadCheckpoint('consumer-b'), undefined);
    },

    'deletes a checkpoint, also inside a transaction that commits or rolls back': async (storage) => {
      const { deleteCheckpoint } = storage;
      if (deleteCheckpoint === undefined) return;
      const remove = (id: string, transaction?: Tx) => deleteCheckpoint.call(storage, id, transaction);
      await storage.saveCheckpoint('retired', 5);
      await storage.saveCheckpoint('kept', 6);
      await assert.rejects(
        storage.transaction(async (tx) => {
          await remove('retired', tx);
          throw new Error('prune failed');
        }),
        /prune failed/,
      );
      assert.equal(await storage.loadCheckpoint('retired'), 5);
      await storage.transaction(async (tx) => remove('retired', tx));
      assert.equal(await storage.loadCheckpoint('retired'), undefined);
      assert.equal(await storage.loadCheckpoint('kept'), 6);
      await remove('kept');
      await remove('never-saved');
      assert.equal(await storage.loadCheckpoint('kept'), undefined);
      if (storage.admin !== undefined) assert.deepEqual(await storage.admin.listCheckpoints(), []);
    },

    'tells listeners about new heads after commit': async (storage) => {
      const heads: number[] = [];
      const stop = storage.onAppended((head) => heads.push(head));
      const result = await storage.append(request('notify', 'no_stream', ['A', 'B']));
      await waitFor(() => heads.includes(result.position), 'listener hears the new head');
      stop();
    },

    'keeps an append successful when a listener throws': async (storage) => {
      const stop = storage.onAppended(() => {
        throw new Error('listener bug');
      });
      try {
        const result = await storage.append(request('noisy', 'no_stream', ['A']));
        assert.equal(result.version, 1);
        assert.equal((await storage.append(request('noisy', 1, ['B']))).version, 2);
      } finally {
        stop();
      }
    },

    'never lets a reader find an event below a position it has seen': async (storage) => {
      const appendsPerWriter = 20;
      let writing = true;
      const seen: StoredEvent[] = [];
      const reader = (async () => {
        let after = 0;
        for (;;) {
          const done = !writing;
          const page = await storage.readAll({ after, limit: 50 });
          for (const event of page) {
            assert.ok(event.position > after, `position ${event.position} appeared after ${after} was seen`);
            seen.push(event);
            after = event.position;
          }
          if (page.length === 0) {
            if (done) return;
            await sleep(1);
          }
        }
      })();
      const writes = Array.from({ length: writers }, async (_, writer) => {
        for (let index = 0; index < appendsPerWriter; index += 1) {
          const size = 1 + ((writer + index) % 3);
          await storage.append(
            request(
              `w-${writer}`,
              'any',
              Array.from({ length: size }, () => 'Tick'),
            ),
          );
        }
      });
      try {
        await Promise.all(writes);
      } finally {
        writing = false;
      }
      await reader;
      const committed = await storage.readAll({ after: 0, limit: 100_000 });
      assert.deepEqual(
        seen.map((event) => event.eventId),
        committed.map((event) => event.eventId),
      );
      assert.equal(new Set(seen.map((event) => event.eventId)).size, seen.length);
      for (let writer = 0; writer < writers; writer += 1) {
        const versions = (await storage.readStream(`w-${writer}`, { direction: 'forward', limit: 1000 })).map(
          (event) => event.version,
        );
        assert.deepEqual(
          versions,
          versions.map((_, index) => index + 1),
        );
      }
    },
  };
}

function capabilityCases<Tx>(writers: number): CapabilityCase<Tx>[] {
  return [
    ...lifecycleCases<Tx>().map(
      ({ name, body }): CapabilityCase<Tx> => ({ capability: 'lifecycle', name, body }),
    ),
    {
      capability: 'partitionedReads',
      name: "reads only a partition's streams, with limit counting them and every other filter kept",
      body: async (_present, storage) => {
        // Non-ASCII and astral ids: the storage must hash exactly as core's partitionOf does.
        const ids = ['p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6', 'é-ß', 'Ω-7', '\u{1F600}-x', '注文-9'];
        for (const id of ids) await storage.append(request(id, 'no_stream', ['A', 'B']));
        await storage.append({ ...request('p-other', 'no_stream', ['A']), streamType: 'Other' });
        const all = await storage.readAll({ after: 0, limit: 1000 });
        const count = 3;
        for (let index = 0; index < count; index += 1) {
          const partition = { index, count };
          const mine = all.filter((event) => partitionOf(event.streamId, count) === index);
          const read = await storage.readAll({ after: 0, limit: 1000, partition });
          assert.deepEqual(
            read.map((event) => event.position),
            mine.map((event) => event.position),
          );
          // Paging by `limit` matching events visits each of them once, in order.
          const paged: number[] = [];
          let after = 0;
          for (;;) {
            const page = await storage.readAll({ after, limit: 2, partition });
            assert.ok(page.length <= 2);
            paged.push(...page.map((event) => event.position));
            const last = page.at(-1);
            if (page.length < 2 || last === undefined) break;
            after = last.position;
          }
          assert.deepEqual(
            paged,
            mine.map((event) => event.position),
          );
          const upTo = all[9]?.position ?? 0;
          assert.deepEqual(
            (await storage.readAll({ after: 0, upTo, limit: 1000, partition })).map(
              (event) => event.position,
            ),
            mine.filter((event) => event.position <= upTo).map((event) => event.position),
          );
          assert.deepEqual(
            (await storage.readAll({ after: 0, limit: 1000, types: ['B'], partition })).map(
              (event) => event.position,
            ),
            mine.filter((event) => event.type === 'B').map((event) => event.position),
          );
          assert.deepEqual(
            (await storage.readAll({ after: 0, limit: 1000, streamTypes: ['Other'], partition })).map(
              (event) => event.position,
            ),
            mine.filter((event) => event.streamType === 'Other').map((event) => event.position),
          );
        }
      },
    },
    {
      capability: 'documents',
      name: 'stores documents as JSON copies, lists key ranges in code point order and deletes',
      body: async (documents) => {
        const value = { due: '2030-01-01T00:00:00.000Z', tags: ['a'] };
        await documents.put('jobs', 'b', value);
        value.tags.push('changed after saving');
        assert.deepEqual((await documents.get('jobs', 'b'))?.value, {
          due: '2030-01-01T00:00:00.000Z',
          tags: ['a'],
        });
        const keys = ['a', 'c', '2030-01-02', 'é', '\u{1F600}', '\uFFFD'];
        for (const key of keys) await documents.put('jobs', key, { key });
        await documents.put('other', 'a', { other: true });
        const listed = async (query: { after?: string; upTo?: string; limit: number }) =>
          (await documents.list('jobs', query)).map((document) => document.key);
        assert.deepEqual(await listed({ limit: 100 }), [
          '2030-01-02',
          'a',
          'b',
          'c',
          'é',
          '\uFFFD',
          '\u{1F600}',
        ]);
        assert.deepEqual(await listed({ after: 'a', upTo: 'c', limit: 100 }), ['b', 'c']);
        assert.deepEqual(await listed({ after: 'a', limit: 2 }), ['b', 'c']);
        await documents.put('jobs', 'b', { replaced: true });
        assert.deepEqual((await documents.get('jobs', 'b'))?.value, { replaced: true });
        await documents.delete('jobs', 'b');
        await documents.delete('jobs', 'never-there');
        assert.equal(await documents.get('jobs', 'b'), undefined);
        assert.deepEqual((await documents.get('other', 'a'))?.value, { other: true });
      },
    },
    {
      capability: 'documents',
      name: 'commits documents with checkpoints in a transaction, or neither',
      body: async (documents, storage) => {
        await documents.put('state', 'kept', { step: 1 });
        await storage.transaction(async (tx) => {
          await documents.put('state', 'kept', { step: 2 }, tx);
          await documents.put('state', 'added', { step: 1 }, tx);
          assert.deepEqual(
            (await documents.get('state', 'kept', tx))?.value,
            { step: 2 },
            'a transaction reads its own writes',
          );
          assert.deepEqual(
            (await documents.list('state', { limit: 10 }, tx)).map((document) => document.key),
            ['added', 'kept'],
          );
          await storage.saveCheckpoint('documents-consumer', 3, tx);
        });
        assert.deepEqual((await documents.get('state', 'kept'))?.value, { step: 2 });
        await assert.rejects(
          storage.transaction(async (tx) => {
            await documents.put('state', 'kept', { step: 3 }, tx);
            await documents.delete('state', 'added', tx);
            await storage.saveCheckpoint('documents-consumer', 4, tx);
            throw new Error('step failed');
          }),
          /step failed/,
        );
        assert.deepEqual((await documents.get('state', 'kept'))?.value, { step: 2 });
        assert.deepEqual((await documents.get('state', 'added'))?.value, { step: 1 });
        assert.equal(await storage.loadCheckpoint('documents-consumer'), 3);
      },
    },
    {
      capability: 'admin',
      name: 'lists streams by id in code point order, by type, a page at a time',
      body: async (admin, storage) => {
        const ids = ['b', 'a', 'é', '\u{1F600}', '\uFFFD', 'c'];
        for (const [index, streamId] of ids.entries()) {
          const types = index % 2 === 0 ? ['A'] : ['A', 'B'];
          await storage.append({
            ...request(streamId, 'no_stream', types),
            streamType: index < 3 ? 'X' : 'Y',
          });
        }
        assert.deepEqual(await admin.listStreams({ limit: 100 }), [
          { streamId: 'a', streamType: 'X', version: 2 },
          { streamId: 'b', streamType: 'X', version: 1 },
          { streamId: 'c', streamType: 'Y', version: 2 },
          { streamId: 'é', streamType: 'X', version: 1 },
          { streamId: '\uFFFD', streamType: 'Y', version: 1 },
          { streamId: '\u{1F600}', streamType: 'Y', version: 2 },
        ]);
        assert.deepEqual(
          (await admin.listStreams({ after: 'a', limit: 2 })).map((stream) => stream.streamId),
          ['b', 'c'],
        );
        assert.deepEqual(
          (await admin.listStreams({ streamType: 'Y', after: 'c', limit: 100 })).map(
            (stream) => stream.streamId,
          ),
          ['\uFFFD', '\u{1F600}'],
        );
        assert.deepEqual(await admin.listStreams({ streamType: 'none', limit: 100 }), []);
      },
    },
    {
      capability: 'admin',
      name: 'lists checkpoints by consumer id and counts streams and events',
      body: async (admin, storage) => {
        assert.deepEqual(await admin.stats(), { streams: 0, events: 0 });
        await storage.append(request('s-1', 'no_stream', ['A', 'B']));
        await storage.append(request('s-2', 'no_stream', ['A']));
        await storage.append(request('s-1', 2, ['C']));
        assert.deepEqual(await admin.stats(), { streams: 2, events: 4 });
        assert.deepEqual(await admin.listCheckpoints(), []);
        await storage.saveCheckpoint('projection-b', 4);
        await storage.saveCheckpoint('projection-a', 1);
        await storage.saveCheckpoint('projection-a', 3);
        assert.deepEqual(await admin.listCheckpoints(), [
          { consumerId: 'projection-a', position: 3 },
          { consumerId: 'projection-b', position: 4 },
        ]);
      },
    },
    {
      capability: 'leases',
      name: 'exactly one of concurrent acquirers wins; the holder renews, others stay out',
      body: async (leases) => {
        const owners = Array.from({ length: writers }, (_, index) => `owner-${index}`);
        const won = await Promise.all(owners.map((owner) => leases.acquire('consumer-a', owner, 10_000)));
        assert.equal(won.filter(Boolean).length, 1, `winners: ${won.join(', ')}`);
        const winner = owners[won.indexOf(true)] as string;
        const loser = owners.find((owner) => owner !== winner) as string;
        assert.equal(await leases.acquire('consumer-a', winner, 10_000), true);
        assert.equal(await leases.acquire('consumer-a', loser, 10_000), false);
        // Leases are per name.
        assert.equal(await leases.acquire('consumer-b', loser, 10_000), true);
        const held = await leases.read('consumer-a');
        assert.equal(held?.owner, winner);
        assert.ok((held?.expiresAt.getTime() ?? 0) > Date.now() + 5_000);
        // A release by someone else changes nothing; by the holder, it frees the lease at once.
        await leases.release('consumer-a', loser);
        assert.equal(await leases.acquire('consumer-a', loser, 10_000), false);
        await leases.release('consumer-a', winner);
        assert.equal(await leases.read('consumer-a'), undefined);
        assert.equal(await leases.acquire('consumer-a', loser, 10_000), true);
      },
    },
    {
      capability: 'leases',
      name: 'an expired lease goes to the next acquirer',
      body: async (leases) => {
        assert.equal(await leases.acquire('consumer', 'first', 150), true);
        assert.equal(await leases.acquire('consumer', 'second', 150), false);
        await sleep(400);
        assert.equal(await leases.acquire('consumer', 'second', 10_000), true);
        assert.equal(await leases.acquire('consumer', 'first', 10_000), false);
      },
    },
    {
      capability: 'leases',
      name: 'a fenced transaction rolls back once the lease is lost, and holds takeovers off while open',
      body: async (leases, storage) => {
        assert.equal(await leases.acquire('consumer', 'first', 200), true);
        const order: string[] = [];
        let takeover: Promise<boolean> | undefined;
        await storage.transaction(async (transaction) => {
          await leases.assert('consumer', 'first', transaction);
          await storage.saveCheckpoint('consumer', 1, transaction);
          // Past the expiry, inside the fenced transaction: a takeover must wait for its end.
          takeover = leases.acquire('consumer', 'second', 10_000).then((won) => {
            order.push('takeover');
            return won;
          });
          await sleep(400);
          order.push('commit');
        });
        assert.equal(await takeover, true);
        assert.deepEqual(order, ['commit', 'takeover']);
        assert.equal(await storage.loadCheckpoint('consumer'), 1);
        // The stale owner is fenced off: its effect and checkpoint roll back together.
        await assertCode(
          storage.transaction(async (transaction) => {
            await storage.saveCheckpoint('consumer', 2, transaction);
            await leases.assert('consumer', 'first', transaction);
          }),
          'LEASE_LOST',
        );
        assert.equal(await storage.loadCheckpoint('consumer'), 1);
        await storage.transaction(async (transaction) => {
          await leases.assert('consumer', 'second', transaction);
          await storage.saveCheckpoint('consumer', 3, transaction);
        });
        assert.equal(await storage.loadCheckpoint('consumer'), 3);
      },
    },
    {
      capability: 'appendFence',
      name: 'holds appends back until the transaction ends, and reads the log as final inside it',
      body: async (appendFence, storage) => {
        await storage.append(request('held', 'no_stream', ['A', 'B']));
        const before = await storage.headPosition();
        const order: string[] = [];
        let append: Promise<unknown> | undefined;
        // Only `log` reads inside: on a single-connection store, the storage's own reads wait.
        await appendFence.transaction(async (transaction, log) => {
          const head = await log.headPosition();
          assert.equal(head, before);
          append = storage.append(request('held', 2, ['C'])).then(() => order.push('append'));
          await sleep(100);
          assert.equal(await log.headPosition(), head, 'no append commits while appends are held');
          assert.deepEqual(
            (await log.readAll({ after: 0, upTo: head, limit: 10 })).map((event) => event.type),
            ['A', 'B'],
          );
          await storage.saveCheckpoint('fenced', head, transaction);
          order.push('commit');
        });
        await append;
        assert.deepEqual(order, ['commit', 'append']);
        assert.equal(await storage.loadCheckpoint('fenced'), 2);
      },
    },
    {
      capability: 'streamLocks',
      name: 'a stream lock waits for its holder; other streams and plain appends do not',
      body: async (streamLocks, storage) => {
        const release = await streamLocks.lock('hot');
        const order: string[] = [];
        const second = streamLocks.lock('hot').then((releaseSecond) => {
          order.push('second lock');
          return releaseSecond;
        });
        const other = await streamLocks.lock('cold');
        await other();
        await storage.append(request('hot', 'no_stream', ['A']));
        await sleep(100);
        order.push('release');
        await release();
        await (await second)();
        assert.deepEqual(order, ['release', 'second lock']);
      },
    },
    {
      capability: 'readHorizon',
      name: 'reports no wait once every append has committed',
      body: async (readHorizon, storage) => {
        await storage.append(request('settled', 'no_stream', ['A']));
        await storage.readAll({ after: 0, limit: 10 });
        assert.equal(readHorizon.current().waitingFor, undefined);
      },
    },
  ];
}

function prepared(
  type: string,
  data: unknown = { type },
  metadata: PreparedEvent['metadata'] = {},
): PreparedEvent {
  return { eventId: globalThis.crypto.randomUUID(), type, data, metadata };
}

function request(
  streamId: string,
  expectedVersion: ExpectedVersion,
  types: readonly string[],
): AppendRequest {
  return { streamId, streamType: 'Thing', expectedVersion, events: types.map((type) => prepared(type)) };
}

async function assertCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHindsightError(error), `expected a Hindsight error, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

async function assertConflict(
  promise: Promise<unknown>,
  streamId: string,
  actualVersion: number,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHindsightError(error, 'CONCURRENCY_CONFLICT'), `expected a conflict, got ${String(error)}`);
    assert.equal(error.streamId, streamId);
    assert.equal(error.actualVersion, actualVersion);
    return true;
  });
}

function assertStrictlyIncreasing(values: readonly number[]): void {
  for (let index = 1; index < values.length; index += 1) {
    assert.ok(
      (values[index] as number) > (values[index - 1] as number),
      `not increasing at ${index}: ${values.join(',')}`,
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(5);
  }
}
