import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInMemoryStorage } from '@hindsight/core';
import { createPostgresStorage } from '@hindsight/postgres';
import { createSqliteStorage } from '@hindsight/sqlite';
import type { HindsightBackend } from './hindsight.js';
import { createPool } from './pg-pools.js';

/** Hindsight on PostgreSQL: `createPostgresStorage` over a pool of the same size as the others'. */
export async function postgresBackend(
  url: string,
  schema: string,
  poolSize: number,
): Promise<HindsightBackend> {
  const pool = createPool(url, poolSize);
  const storage = createPostgresStorage({ client: pool, schema });
  await storage.migrate();
  return {
    key: 'hindsight',
    label: 'Hindsight (pg)',
    note: `@hindsight/postgres, createPostgresStorage({ client: pg.Pool(max ${poolSize}), schema })`,
    storage,
    dispose: () => pool.end(),
  };
}

/** Hindsight on its in-memory storage: not comparable with the PostgreSQL contenders. */
export function memoryBackend(): HindsightBackend {
  return {
    key: 'hindsight',
    label: 'Hindsight (memory)',
    note: 'in-memory storage: no database, not comparable with the PostgreSQL contenders',
    storage: createInMemoryStorage(),
  };
}

/** The embedded default store: `@hindsight/sqlite` on a file in a temporary directory. */
export function sqliteBackend(): HindsightBackend {
  const directory = mkdtempSync(join(tmpdir(), 'hindsight-bench-'));
  const storage = createSqliteStorage({ path: join(directory, 'bench.sqlite') });
  return {
    key: 'sqlite',
    label: 'Hindsight (SQLite)',
    note: '@hindsight/sqlite on a temporary file (WAL, synchronous=full), no server',
    storage,
    dispose: async () => rmSync(directory, { recursive: true, force: true }),
  };
}
