import assert from 'node:assert/strict';
import { isHindsightError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import type {
  AppendRequest,
  EventStorage,
  ExpectedVersion,
  PreparedEvent,
  StreamLifecycle,
} from '../streams/event-storage.js';

/** A case of the `lifecycle` capability: the capability object and the storage that has it. */
export interface LifecycleCase<Tx> {
  readonly name: string;
  readonly body: (lifecycle: StreamLifecycle<Tx>, storage: EventStorage<Tx>) => Promise<void>;
}

/**
 * Closing, archiving and deleting streams: appends refused once closed or deleted (also when racing
 * the close), archived events read as before by every read, positions never moved, tombstones in
 * the global log.
 */
export function lifecycleCases<Tx>(): LifecycleCase<Tx>[] {
  return [
    {
      name: 'a closed stream refuses appends with STREAM_CLOSED and still reads',
      body: async (lifecycle, storage) => {
        await storage.append(request('closing', 'no_stream', ['A', 'B']));
        assert.equal(await lifecycle.close('missing', { reason: undefined, at: new Date() }), undefined);
        const at = new Date('2030-01-02T03:04:05.000Z');
        const closed = await lifecycle.close('closing', { reason: 'fulfilled', at });
        assert.equal(closed?.status, 'closed');
        assert.equal(closed?.reason, 'fulfilled');
        assert.equal(closed?.changedAt?.getTime(), at.getTime());
        assert.equal(closed?.version, 2);
        const again = await lifecycle.close('closing', { reason: 'other', at: new Date() });
        assert.equal(again?.reason, 'fulfilled', 'the first close stays');
        await assert.rejects(storage.append(request('closing', 'any', ['C'])), (error: unknown) => {
          assert.ok(isHindsightError(error, 'STREAM_CLOSED'), `expected STREAM_CLOSED, got ${String(error)}`);
          assert.equal(error.streamId, 'closing');
          return true;
        });
        await assertCode(storage.append(request('closing', 2, ['C'])), 'STREAM_CLOSED');
        const read = await storage.readStream('closing', { direction: 'forward', limit: 10 });
        assert.deepEqual(
          read.map((event) => event.type),
          ['A', 'B'],
        );
        assert.equal((await storage.streamInfo('closing'))?.version, 2);
        assert.equal((await lifecycle.status('closing'))?.status, 'closed');
        assert.equal(await lifecycle.status('missing'), undefined);
        await storage.append(request('open', 'no_stream', ['A']));
        assert.equal((await lifecycle.status('open'))?.status, 'open');
      },
    },
    {
      name: 'appends racing a close either land before it or fail with STREAM_CLOSED',
      body: async (lifecycle, storage) => {
        await storage.append(request('raced', 'no_stream', ['A']));
        const appends = Array.from({ length: 12 }, () =>
          storage.append(request('raced', 'any', ['B'])).then(
            (result) => ({ ok: true as const, version: result.version }),
            (error: unknown) => {
              assert.ok(isHindsightError(error, 'STREAM_CLOSED'), `unexpected ${String(error)}`);
              return { ok: false as const, version: 0 };
            },
          ),
        );
        const closing = lifecycle.close('raced', { reason: undefined, at: new Date() });
        const outcomes = await Promise.all(appends);
        const closed = await closing;
        const landed = outcomes.filter((outcome) => outcome.ok);
        assert.equal(closed?.version, 1 + landed.length, 'the close counts every append that landed');
        const read = await storage.readStream('raced', { direction: 'forward', limit: 100 });
        assert.equal(read.length, 1 + landed.length);
        await assertCode(storage.append(request('raced', 'any', ['C'])), 'STREAM_CLOSED');
      },
    },
    {
      name: 'archived events read as before: streams, time travel, the global log, positions kept',
      body: async (lifecycle, storage) => {
        const first = await storage.append(request('cold', 'no_stream', ['A', 'B', 'C', 'D', 'E']));
        await storage.append(request('other', 'no_stream', ['X']));
        const before = await storage.readAll({ after: 0, limit: 100 });
        const moved = await lifecycle.archive('cold', 3);
        assert.deepEqual(
          moved.map((event) => event.version),
          [1, 2, 3],
        );
        assert.deepEqual(moved, first.events.slice(0, 3));
        assert.deepEqual(await lifecycle.archive('cold', 3), [], 'nothing is archived twice');
        assert.equal((await lifecycle.status('cold'))?.archivedUpTo, 3);
        assert.deepEqual(await storage.readAll({ after: 0, limit: 100 }), before);
        assert.deepEqual(
          await storage.readAll({ after: first.events[0]?.position ?? 0, limit: 2 }),
          before.slice(1, 3),
          'a consumer behind the archived range pages through it',
        );
        assert.deepEqual(
          (await storage.readAll({ after: 0, limit: 100, types: ['B', 'X'] })).map((event) => event.type),
          ['B', 'X'],
        );
        assert.deepEqual(
          (await storage.readAll({ after: 0, limit: 100, streamTypes: ['Thing'] })).length,
          before.length,
        );
        assert.deepEqual(
          await storage.readStream('cold', { direction: 'forward', limit: 100 }),
          first.events,
        );
        assert.deepEqual(
          await storage.readStream('cold', { direction: 'backward', limit: 100 }),
          [...first.events].reverse(),
        );
        assert.deepEqual(
          await storage.readStream('cold', { direction: 'forward', minVersion: 2, maxVersion: 4, limit: 2 }),
          first.events.slice(1, 3),
        );
        const until = first.events[0]?.timestamp as Date;
        assert.equal(
          (await storage.readStream('cold', { direction: 'forward', until, limit: 100 })).length,
          5,
          'time travel reads archived events too',
        );
        const next = await storage.append(request('cold', 5, ['F']));
        assert.equal(next.version, 6);
        assert.ok(next.position > (before.at(-1)?.position ?? 0));
      },
    },
    {
      name: 'an archived event stays stored once: its append retried is a no-op, its id reused a conflict',
      body: async (lifecycle, storage) => {
        const original = request('kept-once', 'no_stream', ['A', 'B']);
        const first = await storage.append(original);
        await storage.append(request('tail-2', 'no_stream', ['T']));
        assert.equal((await lifecycle.archive('kept-once', 2)).length, 2);
        const retried = await storage.append(original);
        assert.equal(retried.alreadyStored, true);
        assert.deepEqual(retried.events, first.events);
        const reused = {
          ...request('elsewhere', 'no_stream', ['X']),
          events: [original.events[0] as PreparedEvent],
        };
        await assertCode(storage.append(reused), 'EVENT_ID_CONFLICT');
        assert.equal((await storage.readAll({ after: 0, limit: 100 })).length, 3);
      },
    },
    {
      name: 'the last event of the log stays hot, so no position is handed out twice',
      body: async (lifecycle, storage) => {
        const written = await storage.append(request('tail', 'no_stream', ['A', 'B']));
        const moved = await lifecycle.archive('tail', 2);
        assert.deepEqual(
          moved.map((event) => event.version),
          [1],
        );
        const next = await storage.append(request('after', 'no_stream', ['C']));
        assert.ok(next.position > written.position);
        assert.deepEqual(
          (await lifecycle.archive('tail', 2)).map((event) => event.version),
          [2],
        );
        assert.equal(await storage.headPosition(), next.position);
        const third = await storage.append(request('after', 1, ['D']));
        assert.ok(third.position > next.position);
      },
    },
    {
      name: 'a deleted stream keeps a tombstone in its stream and the global log; its events are gone',
      body: async (lifecycle, storage) => {
        const doomed = await storage.append(request('doomed', 'no_stream', ['A', 'B', 'C']));
        const kept = await storage.append(request('kept', 'no_stream', ['K']));
        await storage.saveSnapshot({
          streamId: 'doomed',
          streamType: 'Thing',
          version: 2,
          schemaVersion: 1,
          state: { secret: 'x' },
          timestamp: new Date(),
        });
        await lifecycle.archive('doomed', 1);
        await lifecycle.close('doomed', { reason: undefined, at: new Date() });
        assert.equal(await lifecycle.delete('missing', tombstone(0), undefined), undefined);
        const deleted = await lifecycle.delete('doomed', tombstone(3), 'erasure #1');
        assert.equal(deleted?.status, 'deleted');
        assert.equal(deleted?.reason, 'erasure #1');
        assert.equal(deleted?.version, 4);
        assert.equal((await storage.streamInfo('doomed'))?.version, 4);
        const stream = await storage.readStream('doomed', { direction: 'forward', limit: 10 });
        assert.deepEqual(
          stream.map((event) => [event.type, event.version]),
          [['$StreamDeleted', 4]],
        );
        assert.deepEqual(stream[0]?.data, { deletedVersion: 3 });
        const log = await storage.readAll({ after: 0, limit: 100 });
        assert.deepEqual(
          log.map((event) => event.type),
          ['K', '$StreamDeleted'],
        );
        assert.equal(log[0]?.position, kept.position, 'other events keep their positions');
        assert.ok((log[1]?.position ?? 0) > kept.position, 'the tombstone is new to the log');
        assert.equal(await storage.headPosition(), log[1]?.position);
        assert.equal(await storage.loadSnapshot('doomed'), undefined);
        assert.ok(!doomed.events.some((event) => log.some((read) => read.eventId === event.eventId)));
        await assertCode(storage.append(request('doomed', 'any', ['D'])), 'STREAM_DELETED');
        await assertCode(lifecycle.close('doomed', { reason: undefined, at: new Date() }), 'STREAM_DELETED');
        assert.equal((await lifecycle.delete('doomed', tombstone(4), undefined))?.version, 4);
        assert.deepEqual(await lifecycle.archive('doomed', 4), []);
      },
    },
    {
      name: "delete runs its hook in the deletion's transaction with the stored tombstone; a throwing hook undoes it",
      body: async (lifecycle, storage) => {
        await storage.append(request('hooked', 'no_stream', ['A', 'B']));
        await storage.append(request('refused', 'no_stream', ['A']));
        await assert.rejects(
          lifecycle.delete('refused', tombstone(1), 'no', async (transaction) => {
            await storage.saveCheckpoint('delete-hook', 99, transaction);
            throw new Error('the read model refused');
          }),
          /the read model refused/,
        );
        assert.equal((await lifecycle.status('refused'))?.status, 'open');
        assert.deepEqual(
          (await storage.readStream('refused', { direction: 'forward', limit: 10 })).map(
            (event) => event.type,
          ),
          ['A'],
        );
        assert.equal(await storage.loadCheckpoint('delete-hook'), undefined, 'rolled back with it');

        const seen: StoredEvent[] = [];
        const deleted = await lifecycle.delete(
          'hooked',
          tombstone(2),
          'erasure',
          async (transaction, events) => {
            seen.push(...events);
            await storage.saveCheckpoint('delete-hook', events[0]?.position ?? 0, transaction);
          },
        );
        assert.equal(deleted?.status, 'deleted');
        const [stored] = await storage.readStream('hooked', { direction: 'forward', limit: 10 });
        assert.deepEqual(
          seen.map((event) => ({ ...event, timestamp: event.timestamp.getTime() })),
          stored === undefined ? [] : [{ ...stored, timestamp: stored.timestamp.getTime() }],
          'the hook gets the tombstone as stored',
        );
        assert.equal(await storage.loadCheckpoint('delete-hook'), stored?.position);
        await lifecycle.delete('hooked', tombstone(3), undefined, async () => {
          throw new Error('a deleted stream is not deleted again: no hook');
        });
      },
    },
    {
      name: 'importDeleted creates a stream deleted elsewhere, holding its tombstone alone; an existing one stays',
      body: async (lifecycle, storage) => {
        await storage.append(request('present', 'no_stream', ['A']));
        const recordedAt = new Date('2030-02-03T04:05:06.007Z');
        const at = new Date('2030-02-03T04:05:06.000Z');
        const imported = { ...tombstone(4), recordedAt };
        const info = await lifecycle.importDeleted('gone', 'Thing', 5, imported, {
          reason: 'erasure #9',
          at,
        });
        assert.equal(info.status, 'deleted');
        assert.equal(info.version, 5);
        assert.equal(info.streamType, 'Thing');
        assert.equal(info.reason, 'erasure #9');
        assert.equal(info.changedAt?.getTime(), at.getTime());
        const stream = await storage.readStream('gone', { direction: 'forward', limit: 10 });
        assert.deepEqual(
          stream.map((event) => [event.type, event.version, event.eventId, event.timestamp.getTime()]),
          [['$StreamDeleted', 5, imported.eventId, recordedAt.getTime()]],
        );
        assert.deepEqual(stream[0]?.data, { deletedVersion: 4 });
        const head = await storage.headPosition();
        assert.equal(stream[0]?.position, head, 'the tombstone is new to the log');
        assert.equal((await storage.streamInfo('gone'))?.version, 5);
        await assertCode(storage.append(request('gone', 'any', ['B'])), 'STREAM_DELETED');

        const again = await lifecycle.importDeleted('gone', 'Thing', 5, tombstone(4), { reason: 'x', at });
        assert.equal(again.reason, 'erasure #9');
        const kept = await lifecycle.importDeleted('present', 'Thing', 3, tombstone(2), { reason: 'x', at });
        assert.equal(kept.status, 'open');
        assert.equal(kept.version, 1);
        assert.equal(await storage.headPosition(), head, 'nothing more was written');
      },
    },
    {
      name: "admin stats count a deleted stream's tombstone alone, not its removed events",
      body: async (lifecycle, storage) => {
        await storage.append(request('counted', 'no_stream', ['A', 'B', 'C']));
        await storage.append(request('kept', 'no_stream', ['K']));
        await lifecycle.delete('counted', tombstone(3), undefined);
        const { admin } = storage;
        if (admin === undefined) return;
        assert.deepEqual(await admin.stats(), { streams: 2, events: 2 });
        const log = await storage.readAll({ after: 0, limit: 100 });
        assert.equal(log.length, 2, 'the count matches what the log holds');
      },
    },
  ];
}

function tombstone(deletedVersion: number): PreparedEvent {
  return {
    eventId: globalThis.crypto.randomUUID(),
    type: '$StreamDeleted',
    data: { deletedVersion },
    metadata: {},
  };
}

function request(
  streamId: string,
  expectedVersion: ExpectedVersion,
  types: readonly string[],
): AppendRequest {
  return {
    streamId,
    streamType: 'Thing',
    expectedVersion,
    events: types.map((type) => ({
      eventId: globalThis.crypto.randomUUID(),
      type,
      data: { type },
      metadata: {},
    })),
  };
}

async function assertCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHindsightError(error), `expected a Hindsight error, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}
