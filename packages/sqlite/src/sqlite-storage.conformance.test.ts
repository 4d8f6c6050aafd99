import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storageConformanceCases } from '@hindsight/core/testing';
import { afterAll, describe, it } from 'vitest';
import { createSqliteStorage } from './sqlite-storage.js';

const folder = mkdtempSync(join(tmpdir(), 'hindsight-sqlite-conformance-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let files = 0;

describe('SQLite storage on a file', () => {
  const cases = storageConformanceCases({
    create: async () => createSqliteStorage({ path: join(folder, `case-${++files}.db`) }),
  });
  for (const testCase of cases) it(testCase.name, (context) => testCase.run(context));
});

describe('SQLite storage in memory', () => {
  const cases = storageConformanceCases({ create: async () => createSqliteStorage({ path: ':memory:' }) });
  for (const testCase of cases) it(testCase.name, (context) => testCase.run(context));
});
