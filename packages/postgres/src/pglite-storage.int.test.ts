import { PGlite } from '@electric-sql/pglite';
import { storageConformanceCases } from '@hindsight/core/testing';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { quoteIdentifier } from './internal/identifiers.js';
import { createPostgresStorage } from './postgres-storage.js';
import { uniqueSchema } from './test-helpers.js';

describe('PGlite storage: core conformance', () => {
  // One in-memory database for the file, a fresh schema per case: starting PGlite takes a while.
  const db = new PGlite();
  beforeAll(() => db.waitReady);
  afterAll(() => db.close());

  const cases = storageConformanceCases({
    create: async () => {
      const schema = uniqueSchema();
      const storage = createPostgresStorage({ client: db, schema });
      await storage.migrate();
      const close = storage.close.bind(storage);
      return Object.assign(storage, {
        async close() {
          await close();
          await db.exec(`DROP SCHEMA ${quoteIdentifier(schema)} CASCADE`);
        },
      });
    },
  });
  for (const testCase of cases) it(testCase.name, (context) => testCase.run(context));
});
