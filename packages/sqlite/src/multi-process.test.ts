import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StoredEvent } from '@hindsight/core';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transpilePackages } from '../../../test-support/transpiled-packages.js';
import { createSqliteStorage } from './sqlite-storage.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const worker = join(packageRoot, 'fixtures', 'append-worker.mjs');
const folder = mkdtempSync(join(tmpdir(), 'hindsight-sqlite-processes-'));
const build = join(folder, 'build');

let entry: string;

beforeAll(() => {
  entry = transpilePackages(build, ['core', 'sqlite']).sqlite;
  const driver = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
  symlinkSync(driver, join(build, 'node_modules', 'better-sqlite3'), 'dir');
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

interface Ack {
  readonly kind: 'ack';
  readonly streamId: string;
  readonly expectedVersion: number;
  readonly eventIds: readonly string[];
  readonly result: { readonly version: number; readonly position: number };
}
type WorkerMessage = Ack | { readonly kind: 'conflict'; readonly expectedVersion: number } | { kind: 'done' };

interface WorkerOptions {
  readonly path: string;
  /** The module exporting `createSqliteStorage`. */
  readonly entry: string;
  readonly worker: number;
  /** 0: until killed. */
  readonly appends: number;
  readonly contested: boolean;
  readonly synchronous: 'full' | 'normal';
}

function startWorker(options: WorkerOptions, onMessage: (message: WorkerMessage) => void) {
  const child = fork(worker, [JSON.stringify(options)], {
    // Not vitest's flags: they resolve workspace packages to their TypeScript sources.
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('message', (message) => onMessage(message as WorkerMessage));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited };
}

async function readEverything(path: string): Promise<StoredEvent[]> {
  const storage = createSqliteStorage({ path });
  try {
    return [...(await storage.readAll({ after: 0, limit: 1_000_000 }))];
  } finally {
    await storage.close();
  }
}

function expectConsistentLog(events: readonly StoredEvent[]): void {
  expect(events.map((event) => event.position)).toEqual(events.map((_, index) => index + 1));
  const versions = new Map<string, number[]>();
  for (const event of events)
    versions.set(event.streamId, [...(versions.get(event.streamId) ?? []), event.version]);
  for (const [, streamVersions] of versions) {
    expect(streamVersions).toEqual(streamVersions.map((_, index) => index + 1));
  }
  expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);
}

function expectIntact(path: string): void {
  const db = new Database(path, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    db.close();
  }
}

describe('several processes on one file', () => {
  it('commit every acknowledged append once, in contiguous order, with one winner per expected version', async () => {
    const path = join(folder, 'shared.db');
    // Created up front, so the children race on appends rather than on creating the schema.
    await createSqliteStorage({ path }).close();
    const messages: WorkerMessage[] = [];
    const workers = Array.from({ length: 4 }, (_, index) =>
      startWorker(
        { path, entry, worker: index, appends: 60, contested: true, synchronous: 'normal' },
        (message) => messages.push(message),
      ),
    );
    const exits = await Promise.all(workers.map((started) => started.exited));
    expect(exits).toEqual(workers.map(() => ({ code: 0, signal: null })));
    expect(messages.filter((message) => message.kind === 'done')).toHaveLength(4);

    const events = await readEverything(path);
    expectConsistentLog(events);
    const acks = messages.filter((message): message is Ack => message.kind === 'ack');
    const acknowledged = acks.flatMap((ack) => ack.eventIds);
    expect(events.map((event) => event.eventId).sort()).toEqual([...acknowledged].sort());
    for (const ack of acks) {
      const stored = events.filter((event) => ack.eventIds.includes(event.eventId));
      expect(stored.map((event) => event.version)).toEqual(
        ack.eventIds.map((_, index) => ack.expectedVersion + index + 1),
      );
      expect(stored.at(-1)?.position).toBe(ack.result.position);
    }

    const rounds = Array.from({ length: 60 }, (_, round) => round);
    const wins = acks.filter((ack) => ack.streamId === 'contested').map((ack) => ack.expectedVersion);
    expect([...wins].sort((a, b) => a - b)).toEqual(rounds);
    expect(events.filter((event) => event.streamId === 'contested')).toHaveLength(60);
    const conflicts = messages.filter((message) => message.kind === 'conflict');
    expect(conflicts).toHaveLength(3 * 60);
    expectIntact(path);
  }, 120_000);

  it.each(['full', 'normal'] as const)(
    'a writer killed mid-load (synchronous %s) leaves a readable file with every acknowledged append',
    async (synchronous) => {
      const path = join(folder, `killed-${synchronous}.db`);
      await createSqliteStorage({ path }).close();
      const acks: Ack[] = [];
      const { child, exited } = startWorker(
        { path, entry, worker: 0, appends: 0, contested: false, synchronous },
        (message) => {
          if (message.kind !== 'ack') return;
          acks.push(message);
          if (acks.length === 200) child.kill('SIGKILL');
        },
      );
      expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });

      expectIntact(path);
      const events = await readEverything(path);
      expectConsistentLog(events);
      const stored = new Set(events.map((event) => event.eventId));
      const acknowledged = acks.flatMap((ack) => ack.eventIds);
      expect(acknowledged.filter((eventId) => !stored.has(eventId))).toEqual([]);
      // The appends after the last acknowledgement either committed whole or not at all.
      expect(events.length).toBeGreaterThanOrEqual(acknowledged.length);
    },
    60_000,
  );
});
