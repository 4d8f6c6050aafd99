import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInMemoryStorage } from '@hindsight/core';
import { createSqliteStorage, type SqliteStorage } from '@hindsight/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { recordFigures } from '../support/results.js';
import { timeoutFor } from '../support/soak.js';
import { runGapTorture, writeForMs } from './gap-torture.js';

describe('gap torture', () => {
  it(
    'in memory: every subscriber sees exactly the committed events after its start, in order, once',
    async () => {
      const storage = createInMemoryStorage();
      const figures = await runGapTorture({
        writerStorages: [storage],
        subscriberStorages: [storage, storage, storage],
      });
      expect(figures.lost).toBe(0);
      expect(figures.duplicated).toBe(0);
      recordFigures('gap-torture', 'memory', figures);
      await storage.close();
    },
    timeoutFor(writeForMs),
  );

  describe('on one SQLite file', () => {
    const folder = mkdtempSync(join(tmpdir(), 'hindsight-gaps-'));
    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    it(
      'four writer connections and three subscriber connections: every subscriber sees exactly the committed events after its start',
      async () => {
        const path = join(folder, 'gaps.db');
        const open = (): SqliteStorage =>
          createSqliteStorage({ path, synchronous: 'normal', busyTimeoutMs: 30_000, pollIntervalMs: 20 });
        const writers = [open(), open(), open(), open()];
        const subscribers = [open(), open(), open()] as const;
        try {
          const figures = await runGapTorture({ writerStorages: writers, subscriberStorages: subscribers });
          expect(figures.lost).toBe(0);
          expect(figures.duplicated).toBe(0);
          recordFigures('gap-torture', 'sqlite', figures);
        } finally {
          for (const storage of [...writers, ...subscribers]) await storage.close();
        }
      },
      timeoutFor(writeForMs),
    );
  });
});
