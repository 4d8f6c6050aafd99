import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transpilePackages } from '../../../test-support/transpiled-packages.js';
import { createTestPool, databaseUrl, dropSchema, uniqueSchema, waitFor } from './test-helpers.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const appFile = join(packageRoot, 'fixtures', 'pool-without-listener.mjs');
const folder = mkdtempSync(join(tmpdir(), 'hindsight-pool-errors-'));

let postgresEntry: string;
beforeAll(() => {
  postgresEntry = transpilePackages(join(folder, 'build'), ['core', 'postgres']).postgres;
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

type AppMessage =
  | { readonly kind: 'idle'; readonly connections: number }
  | { readonly kind: 'alive'; readonly found: boolean };

describe('a pool handed to the storage without an error listener', () => {
  const admin = createTestPool(2);
  const schema = uniqueSchema('hs_pool_errors');
  afterAll(async () => {
    await dropSchema(admin, schema);
    await admin.end();
  });

  it('does not crash the application when the server ends its idle connections', async () => {
    const name = `hindsight-idle-${schema}`;
    const child = fork(appFile, [JSON.stringify({ postgresEntry, url: databaseUrl, schema, name })], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const messages: AppMessage[] = [];
    child.on('message', (message) => messages.push(message as AppMessage));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => messages.some((message) => message.kind === 'idle'), 20_000);
      const terminated = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [name],
      );
      expect(terminated.rowCount).toBeGreaterThan(0);
      // The idle connections' errors arrive first; then the application goes on with new ones.
      await new Promise((resolve) => setTimeout(resolve, 300));
      // A crashed child has closed the channel: the exit code below reports it.
      child.send('check', () => undefined);
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
      expect(messages.find((message) => message.kind === 'alive')).toEqual({ kind: 'alive', found: false });
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
