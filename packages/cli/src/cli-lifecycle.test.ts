import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEventStore, createRepository } from '@hindsight/core';
import { createSqliteStorage } from '@hindsight/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Account } from './test-support/account.js';
import { cli, ndjson, seed, temporaryFolder } from './test-support/cli-harness.js';

let folder: ReturnType<typeof temporaryFolder>;
let file: string;
const store = (): string[] => ['--file', file];

beforeEach(async () => {
  folder = temporaryFolder();
  file = join(folder.path, 'events.db');
  const storage = createSqliteStorage({ path: file });
  await seed(storage);
  await storage.close();
});
afterEach(() => folder.remove());

describe('close, archive and delete', () => {
  it('closes a stream: appends then fail with STREAM_CLOSED, and streams and stream say so', async () => {
    const closed = await cli(['close', 'Account-a-2', ...store(), '--reason', 'moved away']);
    expect(closed.code).toBe(0);
    expect(closed.stdout).toContain('Closed Account-a-2 at version 2.');
    const table = (await cli(['streams', ...store()])).stdout;
    expect(table).toMatch(/Account-a-2\s+Account\s+2\s+closed/);
    const header = (await cli(['stream', 'Account-a-2', ...store()])).stderr;
    expect(header).toMatch(/version 2, closed since \S+Z \(moved away\)/);
    const storage = createSqliteStorage({ path: file });
    try {
      const accounts = createRepository(createEventStore({ storage, events: [Account] }), Account);
      await expect(accounts.execute('a-2', 'deposit', { amount: 1 })).rejects.toMatchObject({
        code: 'STREAM_CLOSED',
        streamId: 'Account-a-2',
      });
    } finally {
      await storage.close();
    }
    const missing = await cli(['close', 'nope', ...store()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('STREAM_NOT_FOUND');
  });

  it('archives closed streams with progress on stderr and an NDJSON export; reads are unchanged', async () => {
    const before = (await cli(['events', ...store(), '--json'])).stdout;
    await cli(['close', 'Account-a-1', ...store()]);
    const exported = join(folder.path, 'archived.ndjson');
    const archived = await cli(['archive', '--closed', ...store(), '--export', exported, '--json']);
    expect(archived.code).toBe(0);
    // The stream's last event is the log's last, which stays hot (see StreamLifecycle.archive).
    expect(JSON.parse(archived.stdout)).toEqual({ streams: 3, eventsMoved: 3 });
    expect(archived.stderr).toContain('Archived 3 events of 3 of 3 streams looked at.');
    const lines = ndjson(readFileSync(exported, 'utf8'));
    expect(lines.map((event) => [event.streamId, event.version])).toEqual([
      ['Account-a-1', 1],
      ['Account-a-1', 2],
      ['Account-a-1', 3],
    ]);
    expect((await cli(['events', ...store(), '--json'])).stdout).toBe(before);
    expect((await cli(['streams', ...store()])).stdout).toMatch(
      /Account-a-1\s+Account\s+4\s+closed, archived ≤ v3/,
    );
    const again = await cli(['archive', '--stream', 'Account-a-1', ...store(), '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ streams: 1, eventsMoved: 0 });
  });

  it('deletes only with --yes, leaving a tombstone the global log shows', async () => {
    const refused = await cli(['delete', 'Account-a-2', ...store()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('add --yes');
    const deleted = await cli(['delete', 'Account-a-2', ...store(), '--yes', '--reason', 'erasure #1']);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('Deleted Account-a-2: its tombstone is version 3.');
    const events = ndjson((await cli(['events', ...store(), '--json'])).stdout);
    expect(events.filter((event) => event.streamId === 'Account-a-2').map((event) => event.type)).toEqual([
      '$StreamDeleted',
    ]);
    const streams = ndjson((await cli(['streams', ...store(), '--json'])).stdout);
    expect(streams.find((stream) => stream.streamId === 'Account-a-2')).toMatchObject({
      status: 'deleted',
      reason: 'erasure #1',
      version: 3,
    });
  });

  it('exports a closed stream with its close, and import closes it in the target (again: a no-op)', async () => {
    await cli(['close', 'Account-a-2', ...store(), '--reason', 'moved away']);
    const exported = ndjson((await cli(['export', ...store()])).stdout);
    const marked = exported.filter((event) => event.closed !== undefined);
    expect(marked.map((event) => [event.streamId, event.version])).toEqual([['Account-a-2', 2]]);
    expect(marked[0]?.closed).toMatchObject({ reason: 'moved away' });
    const copy = join(folder.path, 'copy.db');
    const stdin = (await cli(['export', ...store()])).stdout;
    expect((await cli(['import', '--file', copy], { stdin })).code).toBe(0);
    const again = await cli(['import', '--file', copy, '--json'], { stdin });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ appended: 0, alreadyStored: exported.length });
    const copied = ndjson((await cli(['streams', '--file', copy, '--json'])).stdout);
    const original = ndjson((await cli(['streams', ...store(), '--json'])).stdout);
    expect(copied.find((stream) => stream.streamId === 'Account-a-2')).toMatchObject({
      status: 'closed',
      reason: 'moved away',
      changedAt: original.find((stream) => stream.streamId === 'Account-a-2')?.changedAt,
    });
    expect(copied.find((stream) => stream.streamId === 'Account-a-1')).toMatchObject({ status: 'open' });
  });

  it('counts a deleted stream in info as its tombstone alone', async () => {
    const before = JSON.parse((await cli(['info', ...store(), '--json'])).stdout);
    const versions = ndjson((await cli(['streams', ...store(), '--json'])).stdout);
    const removed = Number(versions.find((stream) => stream.streamId === 'Account-a-2')?.version);
    await cli(['delete', 'Account-a-2', ...store(), '--yes']);
    const after = JSON.parse((await cli(['info', ...store(), '--json'])).stdout);
    expect(after.events).toBe(before.events - removed + 1);
    const events = ndjson((await cli(['events', ...store(), '--json'])).stdout);
    expect(after.events).toBe(events.length);
  });

  it('imports a deleted stream: its tombstone deletes it in the target too, and never fails', async () => {
    const before = (await cli(['export', ...store()])).stdout;
    await cli(['delete', 'Account-a-2', ...store(), '--yes', '--reason', 'erasure #2']);
    const after = (await cli(['export', ...store()])).stdout;
    const fresh = join(folder.path, 'fresh.db');
    expect((await cli(['import', '--file', fresh], { stdin: after })).code).toBe(0);
    // A target that never held the stream gets it deleted, with the exported tombstone alone.
    const freshStreams = ndjson((await cli(['streams', '--file', fresh, '--json'])).stdout);
    expect(freshStreams.find((stream) => stream.streamId === 'Account-a-2')).toMatchObject({
      status: 'deleted',
      reason: 'erasure #2',
      version: 3,
    });
    const tombstones = (text: string) =>
      ndjson(text)
        .filter((event) => event.type === '$StreamDeleted')
        .map(({ eventId, streamId, version, timestamp, data }) => ({
          eventId,
          streamId,
          version,
          timestamp,
          data,
        }));
    const copiedLog = (await cli(['export', '--file', fresh])).stdout;
    expect(tombstones(copiedLog)).toEqual(tombstones(after));
    expect((await cli(['import', '--file', fresh], { stdin: after })).code).toBe(0);
    expect((await cli(['export', '--file', fresh])).stdout).toBe(copiedLog);
    const copy = join(folder.path, 'copy.db');
    expect((await cli(['import', '--file', copy], { stdin: before })).code).toBe(0);
    expect((await cli(['import', '--file', copy], { stdin: after })).code).toBe(0);
    const copied = ndjson((await cli(['streams', '--file', copy, '--json'])).stdout);
    expect(copied.find((stream) => stream.streamId === 'Account-a-2')).toMatchObject({
      status: 'deleted',
      reason: 'erasure #2',
    });
    expect((await cli(['import', '--file', copy], { stdin: after })).code).toBe(0);
  });
});
