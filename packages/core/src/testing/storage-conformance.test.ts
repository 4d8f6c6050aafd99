import { describe, expect, it } from 'vitest';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { storageConformanceCases } from './storage-conformance.js';

describe('the storage conformance suite', () => {
  const cases = storageConformanceCases({ create: async () => createInMemoryStorage() });

  it('names each capability case after its capability', () => {
    for (const testCase of cases) {
      if (testCase.requires === undefined) continue;
      expect(testCase.name.startsWith(`${testCase.requires}: `)).toBe(true);
    }
    expect(new Set(cases.map((testCase) => testCase.requires))).toEqual(
      new Set([
        undefined,
        'documents',
        'leases',
        'admin',
        'appendFence',
        'lifecycle',
        'streamLocks',
        'readHorizon',
        'partitionedReads',
      ]),
    );
  });

  it('reports a case of a missing capability as skipped, or fails without a way to skip: never passes', async () => {
    const [streamLocks] = cases.filter((testCase) => testCase.requires === 'streamLocks');
    if (streamLocks === undefined) throw new Error('the suite has stream-lock cases');
    const notes: (string | undefined)[] = [];
    await streamLocks.run({ skip: (note) => notes.push(note) });
    expect(notes).toEqual(['the memory storage has no streamLocks capability']);
    await expect(streamLocks.run()).rejects.toThrow(/has no streamLocks capability/);
  });
});
