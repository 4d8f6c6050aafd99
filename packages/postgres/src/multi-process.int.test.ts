import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEventStore, defineStreamType, type StandardSchemaProps } from '@hindsight/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transpilePackages } from '../../../test-support/transpiled-packages.js';
import { createPostgresStorage } from './postgres-storage.js';
import { createTestPool, databaseUrl, dropSchema, sleep, uniqueSchema, waitFor } from './test-helpers.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const workerFile = join(packageRoot, 'fixtures', 'projection-worker.mjs');
const folder = mkdtempSync(join(tmpdir(), 'hindsight-postgres-processes-'));
const build = join(folder, 'build');

let entries: Record<'core' | 'postgres', string>;

beforeAll(() => {
  entries = transpilePackages(build, ['core', 'postgres']);
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const any: { readonly '~standard': StandardSchemaProps<{ n: number }> } = {
  '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value: value as { n: number } }) },
};
const Counter = defineStreamType('Counter', { Added: any });

type WorkerMessage =
  | { readonly kind: 'ready'; readonly worker: string }
  | { readonly kind: 'lease'; readonly worker: string; readonly held: boolean; readonly at: number };

describe('one async projection run by several processes on PostgreSQL', () => {
  const pool = createTestPool(8);
  const schema = uniqueSchema('hs_mp');
  const workers = new Map<string, ChildProcess>();
  afterAll(async () => {
    for (const child of workers.values()) child.kill('SIGKILL');
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('has one owner at a time through SIGKILLed owners, and ends equal to a full replay', async () => {
    const storage = createPostgresStorage({ client: pool, schema });
    await storage.migrate();
    await pool.query(`CREATE TABLE ${schema}.applied (position int8 NOT NULL, worker text NOT NULL)`);
    await pool.query(
      `CREATE TABLE ${schema}.totals (stream_id text PRIMARY KEY, total int8 NOT NULL, events int8 NOT NULL)`,
    );
    const store = createEventStore({ storage, events: [Counter] });
    const messages: WorkerMessage[] = [];
    let spawned = 0;
    const spawnWorker = async (): Promise<void> => {
      const worker = `worker-${++spawned}`;
      const child = fork(
        workerFile,
        [
          JSON.stringify({
            coreEntry: entries.core,
            postgresEntry: entries.postgres,
            url: databaseUrl,
            schema,
            worker,
            ttlMs: 800,
          }),
        ],
        { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
      );
      child.on('message', (message) => messages.push(message as WorkerMessage));
      workers.set(worker, child);
      await waitFor(
        () => messages.some((message) => message.kind === 'ready' && message.worker === worker),
        20_000,
      );
    };
    for (let index = 0; index < 4; index += 1) await spawnWorker();

    let appending = true;
    let appended = 0;
    const writer = (async () => {
      while (appending) {
        const n = appended;
        await store.append(`counter-${n % 7}`, [{ type: 'Added', data: { n } }], { streamType: 'Counter' });
        appended += 1;
        if (n % 5 === 0) await sleep(5);
      }
    })();

    const owner = async (): Promise<string> => {
      let holder: string | undefined;
      await waitFor(async () => {
        const lease = await storage.leases.read('projection:totals@1');
        holder = lease !== undefined && lease.expiresAt.getTime() > Date.now() ? lease.owner : undefined;
        return holder !== undefined && workers.has(holder);
      }, 10_000);
      return holder as string;
    };
    const killed: string[] = [];
    const killedAt = new Map<string, number>();
    for (let kill = 0; kill < 3; kill += 1) {
      await sleep(1_200);
      const current = await owner();
      // Only kill an owner that is doing work: it has applied something since it took over.
      await waitFor(async () => {
        const { rows } = await pool.query(
          `SELECT count(*)::int AS n FROM ${schema}.applied WHERE worker = $1`,
          [current],
        );
        return (rows[0] as { n: number }).n > 0;
      }, 10_000);
      killedAt.set(current, Date.now());
      workers.get(current)?.kill('SIGKILL');
      workers.delete(current);
      killed.push(current);
      await spawnWorker();
    }
    await sleep(1_000);
    appending = false;
    await writer;
    const head = await storage.headPosition();
    await waitFor(async () => (await storage.loadCheckpoint('projection:totals@1')) === head, 90_000);

    // Every event applied exactly once, in position order, each by the one owner of its moment.
    const { rows: applied } = await pool.query<{ position: string; worker: string }>(
      `SELECT position, worker FROM ${schema}.applied ORDER BY position, worker`,
    );
    const events = await storage.readAll({ after: 0, limit: 1_000_000 });
    expect(events).toHaveLength(appended);
    expect(applied.map((row) => Number(row.position))).toEqual(events.map((event) => event.position));
    // Ownership runs: the kills moved the work from owner to owner, and each killed owner had done
    // some. (A live owner stalled past its 800 ms lease on a loaded machine may hand over and take
    // the work back later; the exactly-once check above is what proves one owner at a time.)
    const runs: string[] = [];
    for (const row of applied) if (runs.at(-1) !== row.worker) runs.push(row.worker);
    expect(new Set(runs).size).toBeGreaterThanOrEqual(4);
    for (const worker of killed) expect(runs).toContain(worker);

    // The read model equals a full replay of the log.
    const replay = new Map<string, { total: number; events: number }>();
    for (const event of events) {
      const row = replay.get(event.streamId) ?? { total: 0, events: 0 };
      replay.set(event.streamId, {
        total: row.total + (event.data as { n: number }).n,
        events: row.events + 1,
      });
    }
    const { rows: totals } = await pool.query<{ stream_id: string; total: string; events: string }>(
      `SELECT stream_id, total, events FROM ${schema}.totals ORDER BY stream_id`,
    );
    expect(
      new Map(totals.map((row) => [row.stream_id, { total: Number(row.total), events: Number(row.events) }])),
    ).toEqual(replay);

    // Lease reports: at no moment did two live workers both say they held the lease.
    const periods = new Map<string, { from: number; to: number }[]>();
    for (const message of messages) {
      if (message.kind !== 'lease') continue;
      const list = periods.get(message.worker) ?? [];
      periods.set(message.worker, list);
      if (message.held) list.push({ from: message.at, to: Number.POSITIVE_INFINITY });
      else {
        const open = list.at(-1);
        if (open !== undefined) open.to = message.at;
      }
    }
    // A SIGKILLed worker never reports the end of its period: it ended when it was killed.
    const all = [...periods.entries()].flatMap(([worker, list]) =>
      list.map((period) => ({
        worker,
        from: period.from,
        to: Math.min(period.to, killedAt.get(worker) ?? Infinity),
      })),
    );
    expect(new Set(all.map((period) => period.worker))).toEqual(new Set([...periods.keys()]));
    for (const worker of killed) expect(periods.get(worker)?.length ?? 0).toBeGreaterThan(0);
    for (const a of all) {
      for (const b of all) {
        if (a === b || a.worker === b.worker) continue;
        expect(a.to <= b.from || b.to <= a.from, `${a.worker} and ${b.worker} overlap`).toBe(true);
      }
    }
    await storage.close();
  }, 180_000);
});
