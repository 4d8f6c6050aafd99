import { join } from 'node:path';
import { createEventStore, isEncryptedValue } from '@hindsight/core';
import { createSqliteStorage } from '@hindsight/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, ndjson, seed, temporaryFolder } from './test-support/cli-harness.js';
import { Member } from './test-support/evolved.config.js';

const evolvedConfig = join(import.meta.dirname, 'test-support', 'evolved.config.ts');
const email = 'olga.evolution@example.com';

let folder: ReturnType<typeof temporaryFolder>;
let file: string;

beforeEach(async () => {
  folder = temporaryFolder();
  file = join(folder.path, 'events.db');
  const storage = createSqliteStorage({ path: file });
  // Version-1 deposits, as the first release wrote them.
  await seed(storage);
  const store = createEventStore({ storage, events: [Member] });
  await store.append('Member-m-1', [{ type: 'MemberJoined', data: { memberId: 'm-1', email } }], {
    streamType: 'Member',
  });
  await store.close();
});
afterEach(() => folder.remove());

const deposits = (lines: Record<string, unknown>[]) =>
  lines.filter((event) => event.type === 'Deposited').map((event) => event.data);

describe('stream and events read through the config definitions', () => {
  it('show events in their current shape: upcast, and personal fields decrypted', async () => {
    const stream = await cli(['stream', 'Account-a-1', '--file', file, '--config', evolvedConfig, '--json']);
    expect(stream.code).toBe(0);
    expect(deposits(ndjson(stream.stdout))).toEqual([{ cents: 1000 }, { cents: 500 }]);
    expect(stream.stderr).toContain("Events in their current shape, as the config's aggregates define them");

    const events = await cli(['events', '--file', file, '--config', evolvedConfig, '--json']);
    expect(events.code).toBe(0);
    const lines = ndjson(events.stdout);
    expect(deposits(lines)).toEqual([{ cents: 1000 }, { cents: 500 }, { cents: 100 }]);
    // Types the config does not define (stream type Audit) are shown as stored.
    expect(lines.find((event) => event.type === 'Reviewed')?.data).toEqual({ ok: true });
    expect(lines.find((event) => event.type === 'MemberJoined')?.data).toEqual({ memberId: 'm-1', email });

    const table = await cli(['events', '--file', file, '--config', evolvedConfig, '--type', 'Deposited']);
    expect(table.stdout).toContain('{"cents":1000}');
    expect(table.stdout).not.toContain('"amount"');
  });

  it('use the default config file of the working directory, and --stored shows events as stored', async () => {
    const cwd = join(import.meta.dirname, 'test-support', 'evolved-cwd');
    const byDefault = await cli(['events', '--file', file, '--json', '--type', 'Deposited'], { cwd });
    expect(byDefault.code).toBe(0);
    expect(deposits(ndjson(byDefault.stdout))).toEqual([{ cents: 1000 }, { cents: 500 }, { cents: 100 }]);

    const stored = await cli(['events', '--file', file, '--json', '--stored'], { cwd });
    expect(stored.code).toBe(0);
    const lines = ndjson(stored.stdout);
    expect(deposits(lines)).toEqual([{ amount: 10 }, { amount: 5 }, { amount: 1 }]);
    const joined = lines.find((event) => event.type === 'MemberJoined')?.data as { email?: unknown };
    expect(isEncryptedValue(joined.email)).toBe(true);

    const both = await cli(['stream', 'Account-a-1', '--file', file, '--stored', '--config', evolvedConfig]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('--stored shows events as stored: it takes no --config');
  });

  it('show events as stored, saying why, when the default config file does not load', async () => {
    const cwd = join(import.meta.dirname, 'test-support', 'broken-cwd');
    const result = await cli(['events', '--file', file, '--json', '--type', 'Deposited'], { cwd });
    expect(result.code).toBe(0);
    expect(deposits(ndjson(result.stdout))).toEqual([{ amount: 10 }, { amount: 5 }, { amount: 1 }]);
    expect(result.stderr).toContain('Events as stored: cannot load config module');
    const given = await cli(['events', '--file', file, '--config', join(cwd, 'hindsight.config.mjs')]);
    expect(given.code).toBe(1);
    expect(given.stderr).toContain('[CONFIG_INVALID]');
  });

  it('fail on a stored event that does not fit its current schema, naming it, never printing NaN', async () => {
    const storage = createSqliteStorage({ path: file });
    await storage.append({
      streamId: 'Account-a-2',
      streamType: 'Account',
      expectedVersion: 2,
      events: [{ eventId: crypto.randomUUID(), type: 'Deposited', data: { amount: 'ten' }, metadata: {} }],
    });
    await storage.close();
    const result = await cli(['stream', 'Account-a-2', '--file', file, '--config', evolvedConfig]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[STORED_EVENT_INVALID]');
    expect(result.stderr).toContain('at version 3 of stream "Account-a-2"');
    expect(result.stdout).not.toContain('NaN');
    expect(result.stdout).not.toContain('null');
  });
});
