import { describe, expect, it } from 'vitest';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { partitionOf } from '../subscriptions/partitions.js';
import { EventReader, type EventSource } from './event-reader.js';
import type { GlobalPageQuery } from './event-storage.js';

describe('EventReader.globalPage with a partition', () => {
  it('reads the same partition from a storage that filters and from one that does not', async () => {
    const storage = createInMemoryStorage();
    const ids = ['a-1', 'b-2', 'c-3', 'é-4', '\u{1F600}-5', 'f-6', 'g-7'];
    for (const streamId of ids) {
      await storage.append({
        streamId,
        streamType: 'Thing',
        expectedVersion: 'no_stream',
        events: [{ eventId: crypto.randomUUID(), type: 'A', data: {}, metadata: {} }],
      });
    }
    const seen: GlobalPageQuery[] = [];
    // A storage without the capability: it reads every stream, whatever the query says.
    const plain: EventSource = {
      readAll: (query) => {
        seen.push(query);
        return storage.readAll(query);
      },
    };
    const partition = { index: 1, count: 3 };
    const mine = ids.filter((id) => partitionOf(id, 3) === 1);
    const filtered = await EventReader.raw.globalPage(storage, { after: 0, limit: 100, partition });
    const fallback = await EventReader.raw.globalPage(plain, { after: 0, limit: 100, partition });
    expect(filtered.events.map((event) => event.streamId)).toEqual(mine);
    expect(fallback.events.map((event) => event.streamId)).toEqual(mine);
    expect(seen[0]?.partition).toBeUndefined();
    // The fallback pages over the stored page: a full page is not exhausted even if none is kept.
    const page = await EventReader.raw.globalPage(plain, { after: 0, limit: 2, partition });
    expect(page.exhausted).toBe(false);
    expect(page.last).toBe(2);
  });
});
