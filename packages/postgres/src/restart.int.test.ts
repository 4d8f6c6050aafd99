import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transpilePackages } from '../../../test-support/transpiled-packages.js';
import { createPostgresStorage } from './postgres-storage.js';
import { createTestPool, databaseUrl, dropSchema, uniqueSchema } from './test-helpers.js';

const worker = join(fileURLToPath(new URL('..', import.meta.url)), 'fixtures', 'consumer-worker.mjs');
const folder = mkdtempSync(join(tmpdir(), 'hindsight-postgres-restarts-'));
let entries: Record<'core' | 'postgres', string>;

beforeAll(() => {
  entries = transpilePackages(join(folder, 'build'), ['core', 'postgres']);
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

// A lease far longer than the test: taking over means it was released, not waited out. (After a
// SIGKILL, PostgreSQL waits for the lease to lapse: see multi-process.int.test.ts.)
const ttlMs = 10 * 60_000;

describe('restarting a process whose consumer holds a lease on PostgreSQL', () => {
  const pool = createTestPool(2);
  const schema = uniqueSchema('hs_restart');
  const storage = createPostgresStorage({ client: pool, schema });
  beforeAll(() => storage.migrate());
  afterAll(async () => {
    await storage.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  async function startHolder(owner: string) {
    const child = fork(
      worker,
      [
        JSON.stringify({
          coreEntry: entries.core,
          postgresEntry: entries.postgres,
          url: databaseUrl,
          schema,
          owner,
          ttlMs,
        }),
      ],
      { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      void exited.then((exit) =>
        reject(new Error(`worker ${owner} exited before holding: ${JSON.stringify(exit)}`)),
      );
    });
    return { child, exited };
  }

  it('after SIGTERM, shutdownOnSignals releases the lease and the next process takes over at once', async () => {
    const first = await startHolder('first');
    expect((await storage.leases.read('subscription:restartable'))?.owner).toBe('first');
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(await storage.leases.read('subscription:restartable')).toBeUndefined();
    const second = await startHolder('second');
    expect((await storage.leases.read('subscription:restartable'))?.owner).toBe('second');
    second.child.kill('SIGINT');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });
});
