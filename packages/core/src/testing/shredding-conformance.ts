import assert from 'node:assert/strict';
import { createRepository } from '../aggregates/aggregate-repository.js';
import { defineAggregate } from '../aggregates/define-aggregate.js';
import type { StandardSchemaV1 } from '../events/standard-schema.js';
import { isForgotten, personal } from '../personal/personal-data.js';
import { isEncryptedValue, subjectStreamsCollection } from '../personal/personal-data-guard.js';
import { subjectKeysCollection } from '../personal/subject-keys.js';
import type { EventStorage } from '../streams/event-storage.js';
import { createEventStore } from '../streams/event-store.js';

interface Registered {
  readonly memberId: string;
  readonly name: string;
  readonly plan: string;
}

// Core has no schema library: a minimal Standard Schema of the one event the cases write.
const registeredSchema: StandardSchemaV1<Registered, Registered> = {
  '~standard': {
    version: 1,
    vendor: 'hindsight-conformance',
    validate(value) {
      const data = value as Partial<Record<keyof Registered, unknown>> | null;
      if (typeof data !== 'object' || data === null) return { issues: [{ message: 'expected an object' }] };
      const issues = (['memberId', 'name', 'plan'] as const)
        .filter((field) => typeof data[field] !== 'string')
        .map((field) => ({ message: 'expected a string', path: [field] }));
      return issues.length > 0 ? { issues } : { value: value as Registered };
    },
  },
};

const Member = defineAggregate('Member')
  .events({
    MemberRegistered: personal(registeredSchema, { subject: (data) => data.memberId, fields: ['name'] }),
  })
  .initialState(() => ({ name: '', plan: '' }))
  .evolve({
    MemberRegistered: (_state, { data }) => ({
      name: isForgotten(data.name) ? '(forgotten)' : data.name,
      plan: data.plan,
    }),
  })
  .commands({
    register: (_state, input: Registered) => ({ type: 'MemberRegistered', data: input }),
  });

const plaintext = 'Marie Sklodowska';

/**
 * Conformance cases of crypto-shredding over a storage with documents (where the default key store
 * keeps subject keys) and snapshot deletion.
 */
export function shreddingCases<Tx>(): Record<string, (storage: EventStorage<Tx>) => Promise<void>> {
  return {
    'deleteSnapshot removes one stream snapshot and leaves the others': async (storage) => {
      assert.ok(storage.deleteSnapshot, `the ${storage.kind} storage must delete snapshots`);
      const snapshot = (streamId: string) => ({
        streamId,
        streamType: 'Member',
        version: 1,
        schemaVersion: 1,
        state: { name: plaintext },
        timestamp: new Date(),
      });
      await storage.saveSnapshot(snapshot('Member-a'));
      await storage.saveSnapshot(snapshot('Member-b'));
      await storage.deleteSnapshot('Member-a');
      await storage.deleteSnapshot('Member-never-there');
      assert.equal(await storage.loadSnapshot('Member-a'), undefined);
      assert.equal((await storage.loadSnapshot('Member-b'))?.streamId, 'Member-b');
    },

    'personal data: stored encrypted, forget deletes its keys and snapshots, events read as Forgotten with positions intact':
      async (storage) => {
        const store = createEventStore({ storage, events: [Member] });
        const members = createRepository(store, Member.withSnapshots({ every: 1 }));
        await members.execute('m-1', 'register', { memberId: 'm-1', name: plaintext, plan: 'pro' });
        await members.execute('m-2', 'register', { memberId: 'm-2', name: 'Kept Person', plan: 'free' });
        const raw = await storage.readAll({ after: 0, limit: 10 });
        assert.ok(isEncryptedValue((raw[0]?.data as { name?: unknown } | undefined)?.name));
        assert.ok(!JSON.stringify(raw).includes(plaintext), 'events hold no plaintext');
        assert.equal((await members.load('m-1')).state.name, plaintext);
        assert.ok(await storage.loadSnapshot(Member.streamIdOf('m-1')));

        const result = await store.forget('m-1');
        assert.deepEqual(result.streamIds, [Member.streamIdOf('m-1')]);
        assert.equal(result.snapshotsDropped, 1);
        assert.equal(await storage.loadSnapshot(Member.streamIdOf('m-1')), undefined);
        const documents = storage.documents;
        assert.ok(documents);
        const keys = await documents.list(subjectKeysCollection, { limit: 10 });
        assert.deepEqual(
          keys.map((document) => (document.value as { subject: string }).subject),
          ['m-2'],
          'the forgotten subject has no key document left',
        );
        assert.deepEqual(
          (await documents.list(subjectStreamsCollection, { limit: 10 })).map((document) => document.key),
          ['m-1/Member-m-1', 'm-2/Member-m-2'],
          'the record of which streams hold a subject stays: ids only',
        );

        const after = await storage.readAll({ after: 0, limit: 10 });
        assert.deepEqual(
          after.slice(0, raw.length).map((event) => [event.position, event.version, event.eventId]),
          raw.map((event) => [event.position, event.version, event.eventId]),
        );
        assert.deepEqual(
          after.slice(raw.length).map((event) => [event.position, event.type, event.streamId, event.data]),
          [
            [
              result.position,
              '$SubjectForgotten',
              '$personal-data',
              { subjectId: 'm-1', streamIds: [Member.streamIdOf('m-1')] },
            ],
          ],
          'the forget is told to consumers by one event holding ids only',
        );
        const read: unknown[] = [];
        for await (const event of store.readAll()) {
          if (event.streamType === 'Member') read.push(event.data);
        }
        assert.deepEqual(read, [
          { memberId: 'm-1', name: { $forgotten: true, subject: 'm-1' }, plan: 'pro' },
          { memberId: 'm-2', name: 'Kept Person', plan: 'free' },
        ]);
        assert.deepEqual((await members.load('m-1')).state, { name: '(forgotten)', plan: 'pro' });
        assert.equal((await members.load('m-2')).state.name, 'Kept Person');
      },
  };
}
