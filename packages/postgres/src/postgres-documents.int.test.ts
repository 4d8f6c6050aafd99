import { PGlite } from '@electric-sql/pglite';
import type { DocumentQuery } from '@hindsight/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresStorage, type PostgresStorage } from './postgres-storage.js';
import { createTestPool, driversToRun, dropSchema, uniqueSchema } from './test-helpers.js';

const pool = createTestPool();
const pglite = new PGlite();
const schemas: string[] = [];

afterAll(async () => {
  for (const schema of schemas) await dropSchema(pool, schema);
  await pool.end();
  await pglite.close();
});

const drivers: Record<string, () => Promise<PostgresStorage<unknown>>> = {
  PostgreSQL: async () => {
    const schema = uniqueSchema('hs_documents');
    schemas.push(schema);
    const storage = createPostgresStorage({ client: pool, schema });
    await storage.migrate();
    return storage;
  },
  PGlite: async () => {
    const storage = createPostgresStorage({ client: pglite, schema: uniqueSchema('hs_documents') });
    await storage.migrate();
    return storage;
  },
};

describe.each(driversToRun(drivers))('keyed documents on %s', (_name, create) => {
  it('stores copies, lists a key range in binary order, and deletes', async () => {
    const storage = await create();
    const value = { n: 1 };
    await storage.documents.put('c', 'b', value);
    value.n = 2;
    await storage.documents.put('c', 'a', { n: 0 });
    await storage.documents.put('c', 'B', { n: -1 });
    await storage.documents.put('c', '', { n: -2 });
    await storage.documents.put('c', 'é', { n: 3 });
    await storage.documents.put('other', 'a', { n: 9 });
    await storage.documents.put('c', 'b', { n: 1, replaced: true });
    expect(await storage.documents.get('c', 'b')).toEqual({ key: 'b', value: { n: 1, replaced: true } });
    const keys = async (query: DocumentQuery) =>
      (await storage.documents.list('c', query)).map((document) => document.key);
    expect(await keys({ limit: 10 })).toEqual(['', 'B', 'a', 'b', 'é']);
    expect(await keys({ after: '', limit: 10 })).toEqual(['B', 'a', 'b', 'é']);
    expect(await keys({ after: 'B', upTo: 'a', limit: 10 })).toEqual(['a']);
    expect(await keys({ upTo: 'B', limit: 10 })).toEqual(['', 'B']);
    expect(await keys({ limit: 2 })).toEqual(['', 'B']);
    await storage.documents.delete('c', 'a');
    await storage.documents.delete('c', 'missing');
    expect(await storage.documents.get('c', 'a')).toBeUndefined();
    expect(await storage.documents.get('other', 'a')).toEqual({ key: 'a', value: { n: 9 } });
    await storage.close();
  });

  it('shows a transaction its own writes, commits them with it, and drops them on rollback', async () => {
    const storage = await create();
    await storage.documents.put('c', 'kept', 1);
    await storage.transaction(async (tx) => {
      await storage.documents.put('c', 'new', 2, tx);
      await storage.documents.delete('c', 'kept', tx);
      expect(await storage.documents.get('c', 'new', tx)).toEqual({ key: 'new', value: 2 });
      expect(await storage.documents.get('c', 'kept', tx)).toBeUndefined();
      expect((await storage.documents.list('c', { limit: 10 }, tx)).map((document) => document.key)).toEqual([
        'new',
      ]);
    });
    expect(await storage.documents.get('c', 'new')).toEqual({ key: 'new', value: 2 });
    expect(await storage.documents.get('c', 'kept')).toBeUndefined();

    await expect(
      storage.transaction(async (tx) => {
        await storage.documents.put('c', 'lost', 3, tx);
        await storage.saveCheckpoint('consumer', 5, tx);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await storage.documents.get('c', 'lost')).toBeUndefined();
    expect(await storage.loadCheckpoint('consumer')).toBeUndefined();
    await storage.close();
  });

  it('writes documents inside an append transaction', async () => {
    const storage = await create();
    const event = { eventId: globalThis.crypto.randomUUID(), type: 'Due', data: {}, metadata: {} };
    await storage.append(
      { streamId: 's', streamType: 'Thing', expectedVersion: 'no_stream', events: [event] },
      async (tx, events) => storage.documents.put('deadlines', `due-${events[0]?.position}`, { at: 1 }, tx),
    );
    expect(await storage.documents.list('deadlines', { limit: 10 })).toEqual([
      { key: 'due-1', value: { at: 1 } },
    ]);
    await storage.close();
  });

  it('refuses a transaction handle it did not give out', async () => {
    const storage = await create();
    const forged = { client: undefined, query: async () => ({ rows: [], rowCount: 0 }) };
    await expect(storage.documents.put('c', 'k', 1, forged)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await storage.close();
  });
});
