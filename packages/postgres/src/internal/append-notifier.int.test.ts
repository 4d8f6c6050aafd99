import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStorage, type PostgresStorage } from '../postgres-storage.js';
import { createTestPool, dropSchema, uniqueSchema, waitFor } from '../test-helpers.js';
import { appendedChannel, quoteIdentifier } from './identifiers.js';

function request(streamId: string) {
  return {
    streamId,
    streamType: 'Thing',
    expectedVersion: 'any' as const,
    events: [{ eventId: globalThis.crypto.randomUUID(), type: 'Happened', data: {}, metadata: {} }],
  };
}

describe('onAppended over LISTEN/NOTIFY', () => {
  const pool = createTestPool();
  const schema = uniqueSchema('hs_notify');
  let writer: PostgresStorage;

  beforeAll(async () => {
    writer = createPostgresStorage({ client: pool, schema });
    await writer.migrate();
  });
  afterAll(async () => {
    await writer.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  const listenerPids = async (): Promise<number[]> => {
    const { rows } = await pool.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()',
      [`LISTEN ${quoteIdentifier(appendedChannel(schema))}`],
    );
    return rows.map((row) => row.pid);
  };

  it('hears commits of other storages (processes), and only while someone listens', async () => {
    const reader = createPostgresStorage({ client: pool, schema });
    const heads: number[] = [];
    const stop = reader.onAppended((head) => heads.push(head));
    await waitFor(async () => (await listenerPids()).length === 1);
    const first = await writer.append(request('a'));
    const second = await writer.append(request('b'));
    await waitFor(() => heads.includes(second.position));
    expect(heads).toEqual([first.position, second.position]);
    stop();
    await waitFor(async () => (await listenerPids()).length === 0);
    await reader.close();
  });

  it('listens again after its connection is killed, and reports the head it may have missed', async () => {
    const errors: unknown[] = [];
    const reader = createPostgresStorage({ client: pool, schema, onError: (error) => errors.push(error) });
    const heads: number[] = [];
    const stop = reader.onAppended((head) => heads.push(head));
    await waitFor(async () => (await listenerPids()).length === 1);
    const [pid] = await listenerPids();
    await pool.query('SELECT pg_terminate_backend($1)', [pid]);
    // Committed while nobody listens: its notification is lost, the catch-up read finds it.
    const missed = await writer.append(request('c'));
    await waitFor(() => heads.includes(missed.position));
    expect(errors.length).toBeGreaterThan(0);
    await waitFor(async () => (await listenerPids()).length === 1);
    const next = await writer.append(request('d'));
    await waitFor(() => heads.includes(next.position));
    stop();
    await reader.close();
    await waitFor(async () => (await listenerPids()).length === 0);
  });

  it('misses no commit made before its LISTEN takes effect', async () => {
    // Every connection of the reader's pool held by the test: its LISTEN waits while another
    // process commits.
    const narrow = createTestPool(2);
    const held = [await narrow.connect(), await narrow.connect()];
    const reader = createPostgresStorage({ client: narrow, schema });
    const heads: number[] = [];
    const stop = reader.onAppended((head) => heads.push(head));
    const witness = await pool.connect();
    const announced: string[] = [];
    witness.on('notification', (message) => announced.push(message.payload ?? ''));
    await witness.query(`LISTEN ${quoteIdentifier(appendedChannel(schema))}`);
    const committed = await writer.append(request('early'));
    // Its notification has gone out (to the witness) before the reader's LISTEN can take effect.
    await waitFor(() => announced.includes(String(committed.position)));
    witness.release(true);
    for (const client of held) client.release();
    await waitFor(() => heads.includes(committed.position));
    stop();
    await reader.close();
    await narrow.end();
  });

  it('keeps calling the other listeners when one throws, reporting the error', async () => {
    const errors: unknown[] = [];
    const reader = createPostgresStorage({ client: pool, schema, onError: (error) => errors.push(error) });
    const heads: number[] = [];
    reader.onAppended(() => {
      throw new Error('listener failed');
    });
    reader.onAppended((head) => heads.push(head));
    const result = await reader.append(request('e'));
    // The head read once LISTEN takes effect may come first, when it is already older.
    await waitFor(async () => (await listenerPids()).length === 1);
    expect(heads.filter((head) => head >= result.position)).toEqual([result.position]);
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map(String))).toEqual(new Set(['Error: listener failed']));
    await reader.close();
    await waitFor(async () => (await listenerPids()).length === 0);
  });
});
