import assert from 'node:assert/strict';
import { defineStreamType } from '../events/event-catalog.js';
import type { StandardSchemaV1 } from '../events/standard-schema.js';
import { defineListener } from '../listeners/define-listener.js';
import { createListenerRunner } from '../listeners/listener-runner.js';
import type { SubjectForgetting } from '../personal/forget-subject.js';
import { subjectField } from '../personal/personal-data-guard.js';
import { defineProjection } from '../projections/define-projection.js';
import { createProjectionRunner } from '../projections/projection-runner.js';
import { checkEvents } from '../streams/check-events.js';
import type { DocumentStore, EventStorage } from '../streams/event-storage.js';
import { createEventStore } from '../streams/event-store.js';
import type { StreamDeletion } from '../streams/stream-lifecycle.js';

interface Written {
  readonly text: string;
}

// Core has no schema library: a minimal Standard Schema of the one event the cases write.
const writtenSchema: StandardSchemaV1<Written, Written> = {
  '~standard': {
    version: 1,
    vendor: 'hindsight-conformance',
    validate(value) {
      const text = (value as { text?: unknown } | null)?.text;
      return typeof text === 'string' ? { value: { text } } : { issues: [{ message: 'expected a text' }] };
    },
  },
};

const Note = defineStreamType('Note', { NoteWritten: writtenSchema });
const Other = defineStreamType('Other', { OtherWritten: writtenSchema });

/**
 * Conformance cases of the consumer hooks on a deleted stream's tombstone, over a storage with the
 * `lifecycle` and `documents` capabilities (projection versions and read models live in documents).
 */
export function streamDeletedHookCases<Tx>(): Record<string, (storage: EventStorage<Tx>) => Promise<void>> {
  return {
    "onStreamDeleted: a projection removes a deleted stream's rows exactly once, and again on a rebuild":
      async (storage) => {
        const documents = storage.documents as DocumentStore<Tx>;
        const store = createEventStore({ storage, events: [Note, Other] });
        const rows = (version: number) => `notes@${version}`;
        const counts = (version: number) => `note-deletions@${version}`;
        const deletions: StreamDeletion[] = [];
        const Notes = defineProjection('notes', { from: [Note] })
          .withTransaction<Tx>()
          .on('NoteWritten', (event, { transaction, version }) =>
            documents.put(rows(version), event.streamId, event.data, transaction),
          )
          .onStreamDeleted(async (deletion, { transaction, version }) => {
            deletions.push(deletion);
            await documents.delete(rows(version), deletion.streamId, transaction);
            // Counted in the read model's own transaction: a repeat would show as 2.
            const seen = (await documents.get(counts(version), deletion.streamId, transaction))?.value;
            await documents.put(counts(version), deletion.streamId, Number(seen ?? 0) + 1, transaction);
          });
        assert.ok(Notes.types.includes('$StreamDeleted'));
        const typed: string[] = [];
        const Typed = defineProjection('typed', { from: [Note, Other] })
          .withTransaction<Tx>()
          .on('NoteWritten', (event) => void typed.push(event.type))
          .on('OtherWritten', (event) => void typed.push(event.type));
        assert.ok(!Typed.types.includes('$StreamDeleted'), 'no hook, no tombstones in the read filter');

        await store.append('Note-1', [{ type: 'NoteWritten', data: { text: 'one' } }], {
          streamType: 'Note',
        });
        await store.append('Note-2', [{ type: 'NoteWritten', data: { text: 'two' } }], {
          streamType: 'Note',
        });
        await store.append('Other-1', [{ type: 'OtherWritten', data: { text: 'x' } }], {
          streamType: 'Other',
        });
        const runner = createProjectionRunner(store, Notes, { pollIntervalMs: 10 });
        const typedRunner = createProjectionRunner(store, Typed, { pollIntervalMs: 10 });
        await runner.start();
        await typedRunner.start();
        try {
          await runner.waitUntilCaughtUp();
          assert.ok(await documents.get(rows(1), 'Note-1'));
          await store.deleteStream('Note-1', { reason: 'erasure #7' });
          await store.deleteStream('Other-1');
          await runner.waitUntilCaughtUp();
          await typedRunner.waitUntilCaughtUp();
        } finally {
          await runner.stop();
          await typedRunner.stop();
        }
        assert.equal(await documents.get(rows(1), 'Note-1'), undefined, "the deleted stream's row is gone");
        assert.deepEqual((await documents.get(rows(1), 'Note-2'))?.value, { text: 'two' });
        assert.equal((await documents.get(counts(1), 'Note-1'))?.value, 1);
        assert.equal(await documents.get(counts(1), 'Other-1'), undefined, 'not of its stream types');
        assert.equal(deletions.length, 1);
        const [deletion] = deletions;
        assert.equal(deletion?.streamId, 'Note-1');
        assert.equal(deletion?.streamType, 'Note');
        assert.equal(deletion?.deletedVersion, 1);
        assert.equal(deletion?.reason, 'erasure #7');
        assert.equal(deletion?.event.type, '$StreamDeleted');
        assert.equal(deletion?.event.version, 2);
        assert.deepEqual(
          typed,
          ['NoteWritten', 'NoteWritten', 'OtherWritten'],
          'typed handlers never see it',
        );

        // A restarted runner resumes after the tombstone: nothing is applied twice.
        const restarted = createProjectionRunner(store, Notes, { pollIntervalMs: 10 });
        await restarted.start();
        try {
          await restarted.waitUntilCaughtUp();
          assert.equal((await documents.get(counts(1), 'Note-1'))?.value, 1);
          const { version } = await restarted.rebuild();
          assert.equal(version, 2);
          assert.equal(await documents.get(rows(2), 'Note-1'), undefined);
          assert.deepEqual((await documents.get(rows(2), 'Note-2'))?.value, { text: 'two' });
          assert.equal(
            (await documents.get(counts(2), 'Note-1'))?.value,
            1,
            'the rebuild replays tombstones',
          );
        } finally {
          await restarted.stop();
        }
      },

    'onStreamDeleted: an inline projection hears of a deletion in its transaction, and can refuse it': async (
      storage,
    ) => {
      const documents = storage.documents as DocumentStore<Tx>;
      let refuse = true;
      const Inline = defineProjection('inline-notes', { from: [Note] })
        .withTransaction<Tx>()
        .on('NoteWritten', (event, { transaction }) =>
          documents.put('inline-notes', event.streamId, event.data, transaction),
        )
        .onStreamDeleted(async ({ streamId }, { transaction }) => {
          await documents.delete('inline-notes', streamId, transaction);
          if (refuse) throw new Error('not now');
        });
      const store = createEventStore({ storage, events: [Note], inline: [Inline] });
      await store.append('Note-1', [{ type: 'NoteWritten', data: { text: 'one' } }], { streamType: 'Note' });
      await assert.rejects(store.deleteStream('Note-1'), (error: unknown) => {
        assert.equal((error as { code?: unknown }).code, 'HANDLER_FAILED');
        return true;
      });
      assert.equal((await store.streamStatus('Note-1'))?.status, 'open', 'the deletion rolled back');
      assert.deepEqual((await documents.get('inline-notes', 'Note-1'))?.value, { text: 'one' });
      refuse = false;
      await store.deleteStream('Note-1');
      assert.equal((await store.streamStatus('Note-1'))?.status, 'deleted');
      assert.equal(await documents.get('inline-notes', 'Note-1'), undefined, 'removed with the deletion');
    },

    'onStreamDeleted: a listener is told of a deleted stream of its stream types': async (storage) => {
      const store = createEventStore({ storage, events: [Note, Other] });
      const told: string[] = [];
      const Listener = defineListener('erasures', { from: [Note] })
        .on('NoteWritten', (event) => void told.push(`${event.type} ${event.streamId}`))
        .onStreamDeleted(({ streamId, deletedVersion }, { attempt }) => {
          told.push(`deleted ${streamId} v${deletedVersion} attempt ${attempt}`);
        });
      await store.append('Note-1', [{ type: 'NoteWritten', data: { text: 'one' } }], { streamType: 'Note' });
      await store.append('Other-1', [{ type: 'OtherWritten', data: { text: 'x' } }], { streamType: 'Other' });
      await store.deleteStream('Other-1');
      await store.deleteStream('Note-1');
      const runner = createListenerRunner(store, Listener, { pollIntervalMs: 10 });
      await runner.start();
      try {
        await runner.waitUntilCaughtUp();
      } finally {
        await runner.stop();
      }
      // The deleted stream's own events are gone from the log: only its tombstone is left.
      assert.deepEqual(told, ['deleted Note-1 v1 attempt 1']);
    },
  };
}

/**
 * Conformance cases of the consumer hooks on `store.forget`, over a storage with documents: the
 * `$SubjectForgotten` event reaches consumers of any process, and rebuilds.
 */
export function forgetHookCases<Tx>(): Record<string, (storage: EventStorage<Tx>) => Promise<void>> {
  return {
    'onForget: consumers started in another store instance hear of a forget, exactly once for a projection':
      async (storage) => {
        const documents = storage.documents as DocumentStore<Tx>;
        const first = createEventStore({ storage, events: [Note] });
        await first.append('Note-1', [{ type: 'NoteWritten', data: { text: 'one' } }], {
          streamType: 'Note',
          metadata: { [subjectField]: 's-1' },
        });
        const result = await first.forget('s-1');
        await first.forget('s-2');

        // A second store over the same storage: another process, with its own consumers.
        const second = createEventStore({ storage, events: [Note] });
        const heard: SubjectForgetting[] = [];
        const Listener = defineListener('forgets', { from: [Note] }).onForget((forgotten) => {
          heard.push(forgotten);
        });
        assert.deepEqual(Listener.types, ['$SubjectForgotten']);
        const erased = (version: number) => `erased@${version}`;
        const Projection = defineProjection('subjects', { from: [Note] })
          .withTransaction<Tx>()
          .onForget(async ({ subjectId }, { transaction, version }) => {
            const seen = (await documents.get(erased(version), subjectId, transaction))?.value;
            await documents.put(erased(version), subjectId, Number(seen ?? 0) + 1, transaction);
          });
        const listener = createListenerRunner(second, Listener, { pollIntervalMs: 10 });
        const projection = createProjectionRunner(second, Projection, { pollIntervalMs: 10 });
        await listener.start();
        await projection.start();
        try {
          await listener.waitUntilCaughtUp();
          await projection.waitUntilCaughtUp();
          await projection.rebuild();
        } finally {
          await listener.stop();
          await projection.stop();
        }
        assert.deepEqual(
          heard.map(({ subjectId, event }) => [subjectId, event.type, event.streamId]),
          [
            ['s-1', '$SubjectForgotten', '$personal-data'],
            ['s-2', '$SubjectForgotten', '$personal-data'],
          ],
        );
        assert.equal(heard[0]?.event.position, result.position);
        assert.deepEqual(heard[0]?.streamIds, ['Note-1']);
        assert.deepEqual(result.streamIds, ['Note-1']);
        assert.equal((await documents.get(erased(1), 's-1'))?.value, 1);
        assert.equal((await documents.get(erased(2), 's-1'))?.value, 1, 'a rebuild hears of it again');
        assert.equal((await documents.get(erased(2), 's-2'))?.value, 1);
      },

    'onForget: a forget holds no personal data and leaves typed handlers and checks alone': async (
      storage,
    ) => {
      const store = createEventStore({ storage, events: [Note] });
      const typed: string[] = [];
      const inline: string[] = [];
      const Inline = defineProjection('inline-subjects', { from: [Note] })
        .on('NoteWritten', (event) => void typed.push(event.type))
        .onForget(({ subjectId }) => void inline.push(subjectId));
      const withInline = createEventStore({ storage, events: [Note], inline: [Inline] });
      await withInline.append('Note-1', [{ type: 'NoteWritten', data: { text: 'one' } }], {
        streamType: 'Note',
      });
      const { position } = await withInline.forget('s-9');
      assert.deepEqual(inline, ['s-9'], "an inline projection hears of it in the forget's append");
      assert.deepEqual(typed, ['NoteWritten']);
      const log: { type: string; streamId: string; streamType: string; data: unknown }[] = [];
      for await (const event of store.readAll()) log.push(event);
      assert.deepEqual(
        log.map(({ type, streamId, streamType }) => [type, streamId, streamType]),
        [
          ['NoteWritten', 'Note-1', 'Note'],
          ['$SubjectForgotten', '$personal-data', '$personal-data'],
        ],
      );
      assert.deepEqual(log[1]?.data, { subjectId: 's-9', streamIds: [] });
      assert.equal(await store.headPosition(), position);
      const report = await checkEvents(store);
      assert.equal(report.failed, 0);
      assert.equal(report.unchecked, 1, 'the system event is not checked against the catalogs');
    },
  };
}
