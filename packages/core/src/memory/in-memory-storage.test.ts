import { describe, it } from 'vitest';
import { storageConformanceCases } from '../testing/index.js';
import { createInMemoryStorage } from './in-memory-storage.js';

describe('in-memory storage conformance', () => {
  for (const testCase of storageConformanceCases({ create: async () => createInMemoryStorage() })) {
    it(testCase.name, (context) => testCase.run(context));
  }
});
