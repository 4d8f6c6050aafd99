import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transpilePackages } from '../../../test-support/transpiled-packages.js';
import { createSqliteStorage } from './sqlite-storage.js';

const worker = join(fileURLToPath(new URL('..', import.meta.url)), 'fixtures', 'consumer-worker.mjs');
const folder = mkdtempSync(join(tmpdir(), 'hindsight-sqlite-restarts-'));
let entries: { core: string; sqlite: string };

beforeAll(() => {
  entries = transpilePackages(join(folder, 'build'), ['core', 'sqlite']);
  const driver = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
  symlinkSync(driver, join(folder, 'build', 'node_modules', 'better-sqlite3'), 'dir');
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

// A lease far longer than any test: taking over means it was not waited out.
const ttlMs = 10 * 60_000;

/** Starts a worker and resolves once it holds the lease. */
async function startHolder(path: string, owner: string) {
  const child = fork(worker, [JSON.stringify({ path, ...entries, owner, ttlMs })], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
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

async function leaseOwner(path: string): Promise<string | undefined> {
  const storage = createSqliteStorage({ path });
  try {
    return (await storage.leases.read('subscription:restartable'))?.owner;
  } finally {
    await storage.close();
  }
}

describe('restarting a process whose consumer holds a lease on a SQLite file', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'after %s, shutdownOnSignals releases the lease and the next process takes over at once',
    async (signal) => {
      const path = join(folder, `graceful-${signal}.db`);
      const first = await startHolder(path, 'first');
      first.child.kill(signal);
      expect(await first.exited).toEqual({ code: 0, signal: null });
      expect(await leaseOwner(path)).toBeUndefined();
      const second = await startHolder(path, 'second');
      expect(await leaseOwner(path)).toBe('second');
      second.child.kill('SIGTERM');
      expect(await second.exited).toEqual({ code: 0, signal: null });
    },
  );

  it('after SIGKILL, the next process sees the holder is dead and takes over without waiting', async () => {
    const path = join(folder, 'killed.db');
    const first = await startHolder(path, 'first');
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await leaseOwner(path)).toBe('first');
    const second = await startHolder(path, 'second');
    expect(await leaseOwner(path)).toBe('second');
    second.child.kill('SIGINT');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });
});
