import type { EventStorage } from '@hindsight/core';
import { createInMemoryStorage } from '@hindsight/core';
import { createPostgresStorage } from '@hindsight/postgres';
import { createSqliteStorage } from '@hindsight/sqlite';
import pg from 'pg';

/** An opened storage and how to let go of everything it holds. */
export interface OpenedStorage {
  readonly storage: EventStorage;
  readonly description: string;
  readonly close: () => Promise<void>;
}

/**
 * Picks the store from the environment: `HINDSIGHT_DATABASE_URL=postgres://…` for PostgreSQL,
 * `HINDSIGHT_STORE=memory` for the in-memory store, otherwise the embedded SQLite file
 * (`HINDSIGHT_SQLITE_PATH`, default `.hindsight/orders.db`).
 */
export async function openStorage(env: NodeJS.ProcessEnv): Promise<OpenedStorage> {
  const url = env.HINDSIGHT_DATABASE_URL;
  if (url !== undefined && url !== '') {
    const pool = new pg.Pool({ connectionString: url });
    // An idle connection the server ends (restart, idle timeout) is reported here; unheard, the
    // 'error' event would end the process. The pool opens a new connection when one is needed.
    pool.on('error', (error) => console.warn(`PostgreSQL: idle connection lost (${error.message})`));
    const storage = createPostgresStorage({ client: pool, schema: env.HINDSIGHT_PG_SCHEMA ?? 'hindsight' });
    await storage.migrate();
    return {
      storage,
      description: `PostgreSQL (${redact(url)}, schema ${storage.schema})`,
      close: async () => {
        await storage.close();
        await pool.end();
      },
    };
  }
  if (env.HINDSIGHT_STORE === 'memory') {
    const storage = createInMemoryStorage();
    return { storage, description: 'in memory', close: () => storage.close() };
  }
  const path = env.HINDSIGHT_SQLITE_PATH ?? '.hindsight/orders.db';
  const storage = createSqliteStorage({ path });
  return { storage, description: `SQLite file ${path}`, close: () => storage.close() };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
