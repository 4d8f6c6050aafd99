import { describe, expect, it } from 'vitest';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import type { DocumentStore } from '../streams/event-storage.js';
import { ConsumerLease } from './consumer-lease.js';

describe('the lease fence', () => {
  it('wraps the documents capability as a whole: every member is the fence’s, writes need the lease', async () => {
    const storage = createInMemoryStorage();
    const lease = ConsumerLease.for(storage, 'fenced-documents', { owner: 'first', ttlMs: 10_000 });
    if (lease === undefined) throw new Error('the in-memory storage has leases');
    const fenced = lease.guard(storage);
    const documents = fenced.documents as DocumentStore<unknown>;
    expect(documents).not.toBe(storage.documents);
    expect(Object.keys(documents).sort()).toEqual(['delete', 'get', 'list', 'put']);

    lease.engage();
    expect(await lease.tryAcquire()).toBe(true);
    await documents.put('c', 'k', 1);
    expect((await documents.get('c', 'k'))?.value).toBe(1);

    // Another owner takes the lease over (this one's lapsed, say): its writes must not land.
    await storage.leases?.release('fenced-documents', 'first');
    expect(await storage.leases?.acquire('fenced-documents', 'second', 10_000)).toBe(true);
    await expect(documents.put('c', 'k', 2)).rejects.toMatchObject({ code: 'LEASE_LOST' });
    await expect(documents.delete('c', 'k')).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect((await storage.documents?.get('c', 'k'))?.value).toBe(1);
    await lease.release();
  });

  it('leaves capabilities the storage lacks absent, and passes the others through', () => {
    const storage = createInMemoryStorage();
    const fenced = ConsumerLease.for(storage, 'name', {})?.guard(storage);
    expect(fenced?.appendFence).toBeUndefined();
    expect(fenced?.admin).toBe(storage.admin);
    expect(fenced?.leases).toBe(storage.leases);
  });
});
