import { describe, expect, it } from 'vitest';
import { storageConformanceCases } from '../testing/index.js';
import { createInMemoryStorage } from './in-memory-storage.js';

describe('in-memory storage conformance', () => {
  for (const testCase of storageConformanceCases({ create: async () => createInMemoryStorage() })) {
    it(testCase.name, (context) => testCase.run(context));
  }
});

describe('in-memory storage and the event loop', () => {
  it('lets timers run during 5,000 sequential appends', async () => {
    const storage = createInMemoryStorage();
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 10);
    // A SIGTERM-style handler arrives through the event loop, like a timer does.
    let stopRequested = false;
    setTimeout(() => {
      stopRequested = true;
    }, 10);
    try {
      for (let index = 0; index < 5_000; index += 1) {
        await storage.append({
          streamId: `Tally-${index % 10}`,
          streamType: 'Tally',
          expectedVersion: 'any',
          events: [{ eventId: crypto.randomUUID(), type: 'Counted', data: { n: index }, metadata: {} }],
        });
      }
    } finally {
      clearInterval(timer);
      await storage.close();
    }
    expect(stopRequested).toBe(true);
    expect(ticks).toBeGreaterThanOrEqual(2);
  });
});
