import { describe, expect, it } from 'vitest';
import { createInMemoryStorage } from './in-memory-storage.js';

describe('in-memory keyed documents', () => {
  it('stores copies, lists a key range in binary order, and deletes', async () => {
    const storage = createInMemoryStorage();
    const value = { n: 1 };
    await storage.documents?.put('c', 'b', value);
    value.n = 2;
    await storage.documents?.put('c', 'a', { n: 0 });
    await storage.documents?.put('c', 'B', { n: -1 });
    await storage.documents?.put('other', 'a', { n: 9 });
    expect(await storage.documents?.get('c', 'b')).toEqual({ key: 'b', value: { n: 1 } });
    expect((await storage.documents?.list('c', { limit: 10 }))?.map((d) => d.key)).toEqual(['B', 'a', 'b']);
    expect(
      (await storage.documents?.list('c', { after: 'B', upTo: 'a', limit: 10 }))?.map((d) => d.key),
    ).toEqual(['a']);
    expect((await storage.documents?.list('c', { limit: 1 }))?.length).toBe(1);
    await storage.documents?.delete('c', 'a');
    await storage.documents?.delete('c', 'missing');
    expect(await storage.documents?.get('c', 'a')).toBeUndefined();
  });

  it('shows a transaction its own writes, commits them with it, and drops them on rollback', async () => {
    const storage = createInMemoryStorage();
    await storage.documents?.put('c', 'kept', 1);
    await storage.transaction(async (tx) => {
      await storage.documents?.put('c', 'new', 2, tx);
      await storage.documents?.delete('c', 'kept', tx);
      expect(await storage.documents?.get('c', 'new', tx)).toEqual({ key: 'new', value: 2 });
      expect(await storage.documents?.get('c', 'kept', tx)).toBeUndefined();
      expect((await storage.documents?.list('c', { limit: 10 }, tx))?.map((d) => d.key)).toEqual(['new']);
      // Outside the transaction nothing is visible before the commit.
      expect(await storage.documents?.get('c', 'new')).toBeUndefined();
    });
    expect(await storage.documents?.get('c', 'new')).toEqual({ key: 'new', value: 2 });
    expect(await storage.documents?.get('c', 'kept')).toBeUndefined();

    await expect(
      storage.transaction(async (tx) => {
        await storage.documents?.put('c', 'lost', 3, tx);
        await storage.saveCheckpoint('consumer', 5, tx);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await storage.documents?.get('c', 'lost')).toBeUndefined();
    expect(await storage.loadCheckpoint('consumer')).toBeUndefined();
  });
});
