import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createRepository } from '../aggregates/aggregate-repository.js';
import { defineAggregate } from '../aggregates/define-aggregate.js';
import { isHindsightError } from '../errors/hindsight-error.js';
import { defineStreamType } from '../events/event-catalog.js';
import { evolving } from '../events/evolving-schema.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { type Forgotten, isForgotten, personal } from './personal-data.js';
import { isEncryptedValue, subjectField } from './personal-data-guard.js';
import { createDocumentKeyStore, type SubjectKeyStore, subjectKeysCollection } from './subject-keys.js';

const Customer = defineAggregate('Customer')
  .events({
    CustomerRegistered: personal(
      z.object({ customerId: z.string(), name: z.string(), email: z.string().email(), tier: z.string() }),
      { subject: (data) => data.customerId, fields: ['name', 'email'] },
    ),
    CustomerMoved: personal(z.object({ customerId: z.string(), address: z.object({ city: z.string() }) }), {
      subject: (data) => data.customerId,
      fields: ['address'],
    }),
  })
  .initialState(() => ({ name: '', city: '', moves: 0 }))
  .evolve({
    CustomerRegistered: (state, { data }) => ({
      ...state,
      name: isForgotten(data.name) ? '(forgotten)' : data.name,
    }),
    CustomerMoved: (state, { data }) => ({
      ...state,
      city: isForgotten(data.address) ? '(forgotten)' : data.address.city,
      moves: state.moves + 1,
    }),
  })
  .commands({
    register: (_state, input: { customerId: string; name: string; email: string }) => ({
      type: 'CustomerRegistered',
      data: { ...input, tier: 'gold' },
    }),
    move: (_state, input: { customerId: string; city: string }) => ({
      type: 'CustomerMoved',
      data: { customerId: input.customerId, address: { city: input.city } },
    }),
  });

async function registered(options: { keys?: SubjectKeyStore } = {}) {
  const storage = createInMemoryStorage();
  const forgotten: { subjectId: string; streamIds: readonly string[] }[] = [];
  const store = createEventStore({
    storage,
    events: [Customer],
    personalData: {
      ...(options.keys === undefined ? {} : { keys: options.keys }),
      onForget: [({ subjectId, streamIds }) => void forgotten.push({ subjectId, streamIds })],
    },
  });
  const customers = createRepository(store, Customer.withSnapshots({ every: 2 }));
  await customers.execute('c-1', (customer) =>
    customer.register({ customerId: 'c-1', name: 'Ada Lovelace', email: 'ada@example.com' }).move({
      customerId: 'c-1',
      city: 'London',
    }),
  );
  return { storage, store, customers, forgotten, streamId: Customer.streamIdOf('c-1') };
}

describe('personal data', () => {
  it('types personal fields as their value or Forgotten', () => {
    const read = (
      data: NonNullable<(typeof Customer.schemas.CustomerRegistered)['~standard']['types']>['output'],
    ) => data;
    expectTypeOf(read).returns.toHaveProperty('name').toEqualTypeOf<string | Forgotten>();
    expectTypeOf(read).returns.toHaveProperty('tier').toEqualTypeOf<string>();
  });

  it('stores personal fields encrypted per value, reads them as plaintext', async () => {
    const { storage, store, streamId } = await registered();
    const [raw] = await storage.readStream(streamId, { direction: 'forward', minVersion: 1, limit: 10 });
    const data = raw?.data as Record<string, unknown>;
    expect(isEncryptedValue(data.name)).toBe(true);
    expect(isEncryptedValue(data.email)).toBe(true);
    expect(data.customerId).toBe('c-1');
    expect(data.tier).toBe('gold');
    expect(raw?.metadata[subjectField]).toBe('c-1');
    // A fresh IV per value: the two ciphertexts share nothing.
    expect((data.name as { iv: string }).iv).not.toBe((data.email as { iv: string }).iv);
    expect(JSON.stringify(await storage.readAll({ after: 0, limit: 10 }))).not.toContain('Ada');

    const events = [];
    for await (const event of store.readStream(streamId)) events.push(event);
    expect(events.map((event) => event.data)).toEqual([
      { customerId: 'c-1', name: 'Ada Lovelace', email: 'ada@example.com', tier: 'gold' },
      { customerId: 'c-1', address: { city: 'London' } },
    ]);
  });

  it('after forget: placeholders, aggregates load, versions and positions intact, snapshots dropped, hooks called', async () => {
    const { storage, store, customers, forgotten, streamId } = await registered();
    expect(await storage.loadSnapshot(streamId)).toBeDefined();
    const before = [];
    for await (const event of store.readAll()) before.push(event);

    const result = await store.forget('c-1');
    expect(result).toEqual({
      subjectId: 'c-1',
      streamIds: [streamId],
      position: 3,
      snapshotsDropped: 1,
      hooks: 1,
    });
    expect(forgotten).toEqual([{ subjectId: 'c-1', streamIds: [streamId] }]);
    expect(await storage.loadSnapshot(streamId)).toBeUndefined();
    expect(await docs(storage).list(subjectKeysCollection, { limit: 10 })).toEqual([]);

    const after = [];
    for await (const event of store.readAll()) after.push(event);
    expect(after.map(({ position, version, eventId }) => ({ position, version, eventId }))).toEqual([
      ...before.map(({ position, version, eventId }) => ({ position, version, eventId })),
      { position: 3, version: 1, eventId: expect.any(String) },
    ]);
    expect(after[2]).toMatchObject({
      streamId: '$personal-data',
      type: '$SubjectForgotten',
      data: { subjectId: 'c-1', streamIds: [streamId] },
    });
    expect(after[0]?.data).toEqual({
      customerId: 'c-1',
      name: { $forgotten: true, subject: 'c-1' },
      email: { $forgotten: true, subject: 'c-1' },
      tier: 'gold',
    });
    // Validation on read is on: the placeholders pass where the schema expects a string / an object.
    const { state, version } = await customers.load('c-1');
    expect(state).toEqual({ name: '(forgotten)', city: '(forgotten)', moves: 1 });
    expect(version).toBe(2);
    // A forget that runs again finds the same streams and nothing left to drop; consumers are
    // told again (their hooks erase, which is idempotent).
    expect(await store.forget('c-1')).toEqual({
      subjectId: 'c-1',
      streamIds: [streamId],
      snapshotsDropped: 0,
      hooks: 1,
      position: 4,
    });
  });

  it('gives appends, their transaction hooks and inline work the events decrypted', async () => {
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Customer] });
    const seen: unknown[] = [];
    const result = await store.append(
      'Customer-c-9',
      [
        {
          type: 'CustomerRegistered',
          data: { customerId: 'c-9', name: 'Emmy Noether', email: 'e@n.de', tier: 't' },
        },
      ],
      { streamType: 'Customer', inTransaction: async (_tx, events) => void seen.push(events[0]?.data) },
    );
    const plain = { customerId: 'c-9', name: 'Emmy Noether', email: 'e@n.de', tier: 't' };
    expect(result.events[0]?.data).toEqual(plain);
    expect(seen).toEqual([plain]);
  });

  it('forgets one subject only', async () => {
    const { store, customers } = await registered();
    await customers.execute('c-2', (customer) =>
      customer.register({ customerId: 'c-2', name: 'Grace Hopper', email: 'grace@example.com' }),
    );
    await store.forget('c-1');
    expect((await customers.load('c-2')).state.name).toBe('Grace Hopper');
    expect((await customers.load('c-1')).state.name).toBe('(forgotten)');
  });

  it('a store without personal definitions (export, import) reads and writes envelopes as stored', async () => {
    const { storage, streamId } = await registered();
    const plain = createEventStore({ storage, events: [] });
    const copy = createInMemoryStorage();
    const importer = createEventStore({ storage: copy, events: [] });
    for await (const event of plain.readAll()) {
      expect(
        isEncryptedValue(
          (event.data as { name?: unknown; address?: unknown }).name ??
            (event.data as { address?: unknown }).address,
        ),
      ).toBe(true);
      await importer.appendPrepared({
        streamId: event.streamId,
        streamType: event.streamType,
        expectedVersion: event.version - 1,
        events: [{ eventId: event.eventId, type: event.type, data: event.data, metadata: event.metadata }],
      });
    }
    expect(JSON.stringify(await copy.readAll({ after: 0, limit: 10 }))).not.toContain('Ada');
    // With the keys copied too, the imported store reads plaintext.
    for (const document of await docs(storage).list(subjectKeysCollection, { limit: 10 })) {
      await docs(copy).put(subjectKeysCollection, document.key, document.value);
    }
    const reader = createEventStore({ storage: copy, events: [Customer] });
    const [first] = await collect(reader.readStream(streamId));
    expect((first?.data as { name?: string } | undefined)?.name).toBe('Ada Lovelace');
  });

  it('decrypts before upcasting, so upcasters see plaintext', async () => {
    const storage = createInMemoryStorage();
    const v1 = defineStreamType('Contact', {
      ContactAdded: personal(z.object({ id: z.string(), fullName: z.string() }), {
        subject: (data) => data.id,
        fields: ['fullName'],
      }),
    });
    await createEventStore({ storage, events: [v1] }).append(
      'Contact-1',
      [{ type: 'ContactAdded', data: { id: 'p-1', fullName: 'Alan Turing' } }],
      { streamType: 'Contact' },
    );
    const v2 = defineStreamType('Contact', {
      ContactAdded: evolving(z.object({ id: z.string(), fullName: z.string() })).to(
        2,
        personal(z.object({ id: z.string(), first: z.string(), last: z.string() }), {
          subject: (data) => data.id,
          fields: ['first', 'last'],
        }),
        ({ id, fullName }) => {
          const [first = '', last = ''] = fullName.split(' ');
          return { id, first, last };
        },
      ),
    });
    const store = createEventStore({ storage, events: [v2] });
    expect((await collect(store.readStream('Contact-1')))[0]?.data).toEqual({
      id: 'p-1',
      first: 'Alan',
      last: 'Turing',
    });
  });

  it('refuses a bad subject id with a typed error naming stream and event type', async () => {
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Customer] });
    const error = await store
      .append(
        'Customer-x',
        [{ type: 'CustomerRegistered', data: { customerId: '', name: 'a', email: 'a@b.co', tier: 't' } }],
        {
          streamType: 'Customer',
        },
      )
      .catch((caught: unknown) => caught);
    expect(isHindsightError(error, 'VALIDATION_FAILED')).toBe(true);
    expect(error).toMatchObject({ streamId: 'Customer-x', eventType: 'CustomerRegistered' });
    expect(await store.headPosition()).toBe(0);
  });

  it('refuses a personal() without fields or subject function, and forget without a subject id', async () => {
    const schema = z.object({ id: z.string(), email: z.string() });
    expect(() => personal(schema, { subject: (data) => data.id, fields: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'personal fields' }),
    );
    expect(() => personal(schema, { subject: 'id' as never, fields: ['email'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'personal subject' }),
    );
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Customer] });
    await expect(store.forget('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'subjectId' });
  });

  it('reports a failing key store as SUBJECT_KEY_UNAVAILABLE, storing nothing', async () => {
    const failing: SubjectKeyStore = {
      get: () => Promise.reject(new Error('KMS timeout')),
      create: () => Promise.reject(new Error('KMS timeout')),
      delete: () => Promise.reject(new Error('KMS timeout')),
    };
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [Customer], personalData: { keys: failing } });
    const error = await store
      .append(
        'Customer-c',
        [{ type: 'CustomerRegistered', data: { customerId: 'c', name: 'a', email: 'a@b.co', tier: 't' } }],
        {
          streamType: 'Customer',
        },
      )
      .catch((caught: unknown) => caught);
    expect(isHindsightError(error, 'SUBJECT_KEY_UNAVAILABLE')).toBe(true);
    expect(error).toMatchObject({ subjectId: 'c', operation: 'get', retryable: true });
    expect(await store.headPosition()).toBe(0);
    await expect(store.forget('c')).rejects.toMatchObject({
      code: 'SUBJECT_KEY_UNAVAILABLE',
      operation: 'delete',
    });
  });

  it('refuses a tampered envelope with STORED_EVENT_INVALID naming the field', async () => {
    const { storage, streamId } = await registered();
    const [raw] = await storage.readStream(streamId, { direction: 'forward', minVersion: 1, limit: 1 });
    const data = raw?.data as { name: { data: string } };
    const copy = createInMemoryStorage();
    await copy.append({
      streamId,
      streamType: 'Customer',
      expectedVersion: 'no_stream',
      events: [
        {
          eventId: crypto.randomUUID(),
          type: 'CustomerRegistered',
          data: { ...data, name: { ...data.name, data: Buffer.from('Eve').toString('base64') } },
          metadata: raw?.metadata ?? {},
        },
      ],
    });
    for (const document of await docs(storage).list(subjectKeysCollection, { limit: 10 })) {
      await docs(copy).put(subjectKeysCollection, document.key, document.value);
    }
    const store = createEventStore({ storage: copy, events: [Customer] });
    await expect(collect(store.readStream(streamId))).rejects.toMatchObject({
      code: 'STORED_EVENT_INVALID',
      path: 'name',
    });
  });

  it('keys created by two stores at once are both kept and both readable', async () => {
    const storage = createInMemoryStorage();
    const a = createEventStore({ storage, events: [Customer] });
    const b = createEventStore({ storage, events: [Customer] });
    const register = (store: typeof a, id: string) =>
      store.append(
        `Customer-${id}`,
        [{ type: 'CustomerRegistered', data: { customerId: 'same', name: id, email: 'a@b.co', tier: 't' } }],
        { streamType: 'Customer' },
      );
    await Promise.all([register(a, 'one'), register(b, 'two')]);
    const keys = await createDocumentKeyStore(docs(storage)).get('same');
    expect(keys.length).toBeGreaterThanOrEqual(1);
    const names = (await collect(a.readAll())).map((event) => (event.data as { name: string }).name);
    expect(names.sort()).toEqual(['one', 'two']);
    await b.forget('same');
    expect(await createDocumentKeyStore(docs(storage)).get('same')).toEqual([]);
  });

  it('the key cache of the forgetting store does not survive forget; other stores drop theirs by keyCacheMs', async () => {
    const { storage, store, streamId } = await registered();
    const other = createEventStore({ storage, events: [Customer], personalData: { keyCacheMs: 0 } });
    expect((await collect(other.readStream(streamId)))[0]?.data).toMatchObject({ name: 'Ada Lovelace' });
    await store.forget('c-1');
    expect(
      isForgotten(
        ((await collect(store.readStream(streamId)))[0]?.data as { name?: unknown } | undefined)?.name,
      ),
    ).toBe(true);
    expect(
      isForgotten(
        ((await collect(other.readStream(streamId)))[0]?.data as { name?: unknown } | undefined)?.name,
      ),
    ).toBe(true);
  });
});

function docs(storage: ReturnType<typeof createInMemoryStorage>) {
  const { documents } = storage;
  if (documents === undefined) throw new Error('the in-memory storage keeps documents');
  return documents;
}

async function collect<T>(events: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const event of events) all.push(event);
  return all;
}
