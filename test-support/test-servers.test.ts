import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inCi, suitesWithoutServer } from './test-servers.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A local URL nothing listens on: a port just freed. */
async function closedUrl(scheme: string): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `${scheme}://user@127.0.0.1:${port}/test`;
}

describe('suites that need a server', () => {
  it('are left out when their server does not answer, each listed under its server', async () => {
    const pg = await closedUrl('postgres');
    const nats = await closedUrl('nats');
    const { exclude, note, env } = await suitesWithoutServer(root, {
      HINDSIGHT_PG_URL: pg,
      HINDSIGHT_NATS_URL: nats,
    });
    expect(exclude).toContain('packages/postgres/src/subscriptions.int.test.ts');
    expect(exclude).toContain('packages/nats/src/forwarder/create-nats-forwarder.int.test.ts');
    expect(exclude).toContain('reliability/src/nats-forward/nats-forward.int.test.ts');
    expect(exclude).not.toContain('packages/postgres/src/pglite-storage.int.test.ts');
    // Suites that run on PGlite as well as on the server keep their PGlite cases.
    for (const mixed of [
      'packages/postgres/src/postgres-documents.int.test.ts',
      'packages/postgres/src/personal-data.int.test.ts',
      'packages/postgres/src/schema/migrate.int.test.ts',
      'packages/postgres/src/drizzle/index.int.test.ts',
      'packages/postgres/src/readme.int.test.ts',
      'packages/postgres/src/processes.int.test.ts',
      'packages/postgres/src/postgres-storage.int.test.ts',
    ]) {
      expect(exclude).not.toContain(mixed);
      expect(note).toContain(`  ${mixed}`);
    }
    expect(note).toContain('these 7 suites ran their PGlite cases only');
    expect(env).toEqual({ HINDSIGHT_PG_LEFT_OUT: '1' });
    expect(new Set(exclude).size).toBe(exclude.length);
    expect(note).toContain(`No PostgreSQL server answers at ${pg}`);
    expect(note).toContain(`No NATS server with JetStream answers at ${nats}`);
    expect(note).toContain('HINDSIGHT_NATS_URL=nats://host:4222 npm test');
  });

  it('always run under CI, so an unreachable server fails the run', async () => {
    const env = { CI: 'true', HINDSIGHT_PG_URL: await closedUrl('postgres') };
    expect(await suitesWithoutServer(root, env)).toEqual({ exclude: [], note: undefined, env: {} });
    expect([inCi({ CI: '1' }), inCi({ CI: 'yes' }), inCi({ CI: 'false' }), inCi({})]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});
