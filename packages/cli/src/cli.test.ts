import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEventStore, createRepository } from '@hindsight/core';
import { createSqliteStorage } from '@hindsight/sqlite';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Account } from './test-support/account.js';
import {
  Captured,
  cli,
  configModule,
  ndjson,
  type Seeded,
  seed,
  temporaryFolder,
  waitFor,
} from './test-support/cli-harness.js';
import { version } from './version.js';

let folder: ReturnType<typeof temporaryFolder>;
let file: string;
let seeded: Seeded;
const store = (): string[] => ['--file', file];

beforeEach(async () => {
  folder = temporaryFolder();
  file = join(folder.path, 'events.db');
  const storage = createSqliteStorage({ path: file });
  seeded = await seed(storage);
  await storage.close();
});
afterEach(() => folder.remove());

describe('choosing the store', () => {
  it('uses the SQLite file from --file, HINDSIGHT_SQLITE_PATH or .hindsight/events.db, and says so', async () => {
    const byFlag = await cli(['info', ...store()]);
    expect(byFlag.code).toBe(0);
    expect(byFlag.stderr).toContain(`hindsight: SQLite file ${file}`);
    const byEnv = await cli(['info'], { env: { HINDSIGHT_SQLITE_PATH: file } });
    expect(byEnv.stderr).toContain(`SQLite file ${file}`);
    const byDefault = await cli(['migrate'], { cwd: folder.path });
    expect(byDefault.code).toBe(0);
    expect(byDefault.stderr).toContain(`SQLite file ${join(folder.path, '.hindsight', 'events.db')}`);
  });

  it('takes store options before the command too', async () => {
    const result = await cli(['--file', file, '--json', 'info']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ head: 7 });
  });

  it('refuses a missing file outside migrate and import, saying how to create it', async () => {
    const missing = join(folder.path, 'nope.db');
    const result = await cli(['info', '--file', missing]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no event store at ${missing}`);
    expect(result.stderr).toContain('hindsight migrate');
  });

  it('refuses a SQLite file without Hindsight tables outside migrate, and leaves it as it was', async () => {
    const other = join(folder.path, 'other-app.db');
    const database = new Database(other);
    database.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
    database.close();
    const empty = join(folder.path, 'empty.db');
    writeFileSync(empty, '');
    const tables = (path: string) => {
      const reader = new Database(path, { readonly: true });
      try {
        return reader.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
      } finally {
        reader.close();
      }
    };
    for (const path of [other, empty]) {
      for (const argv of [['info'], ['events'], ['streams']]) {
        const result = await cli([...argv, '--file', path]);
        expect(result.code, `${argv.join(' ')} ${path}`).toBe(1);
        expect(result.stderr).toContain(
          `[STORE_NOT_MIGRATED] SQLite file ${path} has no Hindsight tables: create them with \`hindsight migrate\``,
        );
      }
    }
    expect(tables(other)).toEqual(['invoices']);
    expect(tables(empty)).toEqual([]);
    expect((await cli(['info', '--file', other, '--json'])).stderr).toContain('"code":"STORE_NOT_MIGRATED"');
    expect((await cli(['migrate', '--file', other])).code).toBe(0);
    expect((await cli(['info', '--file', other])).code).toBe(0);
  });

  it('refuses --schema without a PostgreSQL URL and a URL that is not PostgreSQL', async () => {
    expect((await cli(['info', ...store(), '--schema', 'x'])).stderr).toContain(
      '--schema applies to PostgreSQL',
    );
    const notPg = await cli(['info', '--url', 'mysql://u:secret@h/db']);
    expect(notPg.code).toBe(1);
    expect(notPg.stderr).toContain('mysql://u:***@h/db');
    expect(notPg.stderr).not.toContain('secret');
  });
});

describe('migrate', () => {
  it('creates a store, then finds nothing to do', async () => {
    const fresh = join(folder.path, 'sub', 'fresh.db');
    const first = await cli(['migrate', '--file', fresh]);
    expect(first).toMatchObject({ code: 0 });
    const [, versions = '', latest] =
      /^Applied migrations ([\d, ]+): now at schema version (\d+)\./.exec(first.stdout) ?? [];
    expect(versions.split(', ').slice(0, 2)).toEqual(['1', '2']);
    expect(versions.endsWith(latest ?? '?')).toBe(true);
    const again = await cli(['migrate', '--file', fresh, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ store: 'sqlite', applied: [], schemaVersion: Number(latest) });
  });
});

describe('info', () => {
  it('shows head, streams, events and consumers with their lag', async () => {
    const result = await cli(['info', ...store()]);
    expect(result.stdout).toContain('head       7');
    expect(result.stdout).toContain('streams    3');
    expect(result.stdout).toContain('events     7');
    expect(result.stdout).toMatch(/balances\s+4\s+3/);
    const json = JSON.parse((await cli(['info', ...store(), '--json'])).stdout);
    expect(json).toMatchObject({
      store: { kind: 'sqlite' },
      head: 7,
      streams: 3,
      events: 7,
      consumers: [{ consumerId: 'balances', position: 4, lag: 3 }],
    });
  });
});

describe('streams', () => {
  it('lists streams by id, by type and up to a limit', async () => {
    const table = await cli(['streams', ...store()]);
    expect(table.stdout.split('\n').filter(Boolean)).toEqual([
      'STREAM       TYPE     VERSION  STATUS',
      'Account-a-1  Account        4  open',
      'Account-a-2  Account        2  open',
      'audit-1      Audit          1  open',
    ]);
    const audit = ndjson((await cli(['streams', ...store(), '--type', 'Audit', '--json'])).stdout);
    expect(audit).toEqual([
      { streamId: 'audit-1', streamType: 'Audit', version: 1, status: 'open', archivedUpTo: 0 },
    ]);
    const limited = ndjson(
      (await cli(['streams', ...store(), '--limit', '1', '--after', 'Account-a-1', '--json'])).stdout,
    );
    expect(limited.map((stream) => stream.streamId)).toEqual(['Account-a-2']);
  });
});

describe('stream', () => {
  it('prints a stream as a table of version, position, time, type, data and metadata', async () => {
    const result = await cli(['stream', 'Account-a-1', ...store()]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Stream Account-a-1 (Account), version 4');
    const lines = result.stdout.split('\n').filter(Boolean);
    expect(lines[0]).toMatch(/^VERSION\s+POSITION\s+TIME\s+TYPE\s+DATA\s+METADATA$/);
    expect(lines[1]).toMatch(
      /^\s*1\s+1\s+\d{4}-\d\d-\d\dT[\d:.]+Z\s+AccountOpened\s+\{"owner":"Ada"\}\s+\{"actorId":"teller-1"\}$/,
    );
    expect(lines).toHaveLength(5);
  });

  it('travels in time with --until and reads version ranges either way', async () => {
    const then = ndjson(
      (await cli(['stream', 'Account-a-1', ...store(), '--until', seeded.between.toISOString(), '--json']))
        .stdout,
    );
    expect(then.map((event) => event.version)).toEqual([1, 2]);
    const range = ndjson(
      (await cli(['stream', 'Account-a-1', ...store(), '--from-version', '2', '--to-version', '3', '--json']))
        .stdout,
    );
    expect(range.map((event) => event.type)).toEqual(['Deposited', 'Deposited']);
    const last = ndjson(
      (await cli(['stream', 'Account-a-1', ...store(), '--backward', '--limit', '1', '--json'])).stdout,
    );
    expect(last).toHaveLength(1);
    expect(last[0]).toMatchObject({
      version: 4,
      position: 7,
      type: 'AccountClosed',
      data: { reason: 'moved' },
    });
  });

  it('says so when the stream does not exist', async () => {
    const result = await cli(['stream', 'Account-zz', ...store()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[STREAM_NOT_FOUND] no stream "Account-zz"');
    const json = await cli(['stream', 'Account-zz', ...store(), '--json']);
    expect(JSON.parse(json.stderr.split('\n').filter(Boolean).at(-1) as string)).toMatchObject({
      error: { code: 'STREAM_NOT_FOUND', message: expect.stringContaining('no stream "Account-zz"') },
    });
  });
});

describe('events', () => {
  it('prints the global log with filters by type, stream type, position and count', async () => {
    const all = ndjson((await cli(['events', ...store(), '--json'])).stdout);
    expect(all.map((event) => event.position)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const deposits = ndjson(
      (await cli(['events', ...store(), '--type', 'Deposited', '--type', 'AccountClosed', '--json'])).stdout,
    );
    expect(deposits.map((event) => event.position)).toEqual([2, 4, 6, 7]);
    const audits = ndjson((await cli(['events', ...store(), '--stream-type', 'Audit', '--json'])).stdout);
    expect(audits.map((event) => event.streamId)).toEqual(['audit-1']);
    const page = ndjson((await cli(['events', ...store(), '--after', '3', '--limit', '2', '--json'])).stdout);
    expect(page.map((event) => event.position)).toEqual([4, 5]);
    const table = await cli(['events', ...store(), '--limit', '1']);
    expect(table.stdout).toMatch(
      /^POSITION\s+STREAM\s+VERSION\s+TIME\s+TYPE\s+DATA\s+METADATA\n\s*1\s+Account-a-1\s+1\s/,
    );
  });

  it('--follow prints events appended after it started, until its signal aborts', async () => {
    const controller = new AbortController();
    const stdout = new Captured();
    const following = cli(['events', ...store(), '--follow', '--json', '--type', 'Deposited'], {
      stdout,
      signal: controller.signal,
    });
    await waitFor(() => ndjson(stdout.text).length === 3);
    const storage = createSqliteStorage({ path: file });
    try {
      await storage.append({
        streamId: 'Account-a-2',
        streamType: 'Account',
        expectedVersion: 2,
        events: [{ eventId: crypto.randomUUID(), type: 'Deposited', data: { amount: 7 }, metadata: {} }],
      });
      await waitFor(() => ndjson(stdout.text).length === 4);
    } finally {
      controller.abort();
      await storage.close();
    }
    expect(await following).toMatchObject({ code: 0 });
    expect(ndjson(stdout.text).at(-1)).toMatchObject({
      position: 8,
      streamId: 'Account-a-2',
      data: { amount: 7 },
    });
  });
});

describe('state', () => {
  const state = (...args: string[]) =>
    cli(['state', 'Account', 'a-1', ...store(), '--config', configModule, ...args]);

  it('folds the state now, at a version and as of an instant', async () => {
    const now = await state();
    expect(now.code).toBe(0);
    expect(now.stdout).toContain('Account a-1 (stream Account-a-1) at version 4 of 4');
    expect(now.stdout).toContain('"status": "closed"');
    expect(JSON.parse((await state('--at-version', '2', '--json')).stdout)).toEqual({
      aggregate: 'Account',
      id: 'a-1',
      streamId: 'Account-a-1',
      version: 2,
      latestVersion: 4,
      state: { status: 'open', owner: 'Ada', balance: 10 },
    });
    const asOf = JSON.parse((await state('--as-of', seeded.between.toISOString(), '--json')).stdout);
    expect(asOf).toMatchObject({ version: 2, asOf: seeded.between.toISOString(), state: { balance: 10 } });
  });

  it('shows every step with --history', async () => {
    const steps = ndjson((await state('--history', '--json')).stdout);
    expect(steps.map((step) => (step.state as { balance: number }).balance)).toEqual([0, 10, 15, 15]);
    expect(steps.map((step) => (step.event as { type: string }).type)).toEqual([
      'AccountOpened',
      'Deposited',
      'Deposited',
      'AccountClosed',
    ]);
    const table = await state('--history', '--at-version', '2');
    expect(table.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    expect(table.stdout).toMatch(/2\s+2\s+\S+\s+Deposited\s+\{"status":"open","owner":"Ada","balance":10\}/);
  });

  it('limits --history to a version range and a number of steps, saying where it stopped', async () => {
    const versions = async (...args: string[]) =>
      ndjson((await state('--history', '--json', ...args)).stdout).map(
        (step) => (step.event as { version: number }).version,
      );
    expect(await versions('--from-version', '2', '--to-version', '3')).toEqual([2, 3]);
    expect(await versions('--from-version', '3')).toEqual([3, 4]);
    const limited = await state('--history', '--json', '--limit', '2');
    expect(ndjson(limited.stdout).map((step) => (step.state as { balance: number }).balance)).toEqual([
      0, 10,
    ]);
    expect(limited.stderr).toContain('Stopped after 2 steps (--limit 2); more from version 3');
    // The state of a step shown late in the range is folded from version 1 all the same.
    const late = ndjson((await state('--history', '--json', '--from-version', '3', '--limit', '1')).stdout);
    expect(late.map((step) => step.state)).toEqual([{ status: 'open', owner: 'Ada', balance: 15 }]);
    const inverted = await state('--history', '--from-version', '3', '--to-version', '2');
    expect(inverted.code).toBe(1);
    expect(inverted.stderr).toContain('[INVALID_ARGUMENT] --from-version 3 is after --to-version 2');
    const beyond = await state('--history', '--from-version', '9');
    expect(beyond.stderr).toContain('[VERSION_OUT_OF_RANGE]');
    expect((await state('--limit', '2')).stderr).toContain('--limit applies to --history only');
  });

  it('bounds --history by default on a long stream, printing each step as it is folded', async () => {
    const storage = createSqliteStorage({ path: file });
    const accounts = createRepository(createEventStore({ storage, events: [Account] }), Account);
    await accounts.execute('long', (account) => {
      let next = account.open({ owner: 'Lee' });
      for (let index = 0; index < 150; index += 1) next = next.deposit({ amount: 1 });
      return next;
    });
    await storage.close();
    const chunks: string[] = [];
    const stdout = new Captured();
    const write = stdout.write.bind(stdout);
    stdout.write = (chunk: string) => chunks.push(chunk) > 0 && write(chunk);
    const result = await cli(
      ['state', 'Account', 'long', ...store(), '--config', configModule, '--history'],
      { stdout },
    );
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean)).toHaveLength(101);
    expect(result.stderr).toContain('Stopped after 100 steps (--limit 100); more from version 101');
    // Header and first step come as lines of their own, not as one block at the end.
    expect(chunks.length).toBeGreaterThanOrEqual(101);
  });

  it('explains a missing config, an unknown aggregate, a missing aggregate and a version beyond the last', async () => {
    const noConfig = await cli(['state', 'Account', 'a-1', ...store()], { cwd: folder.path });
    expect(noConfig.code).toBe(1);
    expect(noConfig.stderr).toContain('--config <module>');
    const unknown = await cli(['state', 'Acount', 'a-1', ...store(), '--config', configModule]);
    expect(unknown.stderr).toContain('no aggregate named "Acount" in the config (it has: Account)');
    const badModule = join(folder.path, 'bad.config.mjs');
    writeFileSync(badModule, 'export const aggregates = [{}];\n');
    expect((await cli(['state', 'Account', 'a-1', ...store(), '--config', badModule])).stderr).toContain(
      'aggregates[0]',
    );
    const missing = await cli(['state', 'Account', 'zz', ...store(), '--config', configModule]);
    expect(missing.stderr).toContain('no events for Account zz (stream "Account-zz")');
    expect((await state('--at-version', '9')).stderr).toContain('at version 4: --at-version 9 is beyond it');
  });
});

describe('export and import', () => {
  it('round-trips the log into a fresh store with identical events, and re-importing is a no-op', async () => {
    const exported = await cli(['export', ...store()]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toMatch(/exported 7 events, positions 1\.\.7 in [\d.]+ s, \d+ events\/s/);
    const copy = join(folder.path, 'copy.db');
    const imported = await cli(['import', '--file', copy, '--json'], { stdin: exported.stdout });
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ read: 7, appended: 7, alreadyStored: 0 });
    expect(imported.stderr).toMatch(
      /imported 7 events \(7 appended, 0 already stored\) in [\d.]+ s, \d+ events\/s/,
    );
    // Recorded times included: time travel on the copy sees the same history.
    expect(ndjson((await cli(['export', '--file', copy])).stdout)).toEqual(ndjson(exported.stdout));

    const again = await cli(['import', '--file', copy], { stdin: exported.stdout });
    expect(again.stdout).toContain('Imported 7 events: 0 appended, 7 already stored.');
    expect(JSON.parse((await cli(['info', '--file', copy, '--json'])).stdout)).toMatchObject({
      head: 7,
      events: 7,
    });
  });

  it('resumes an interrupted import with other batches, and exports from a position', async () => {
    const exported = (await cli(['export', ...store()])).stdout;
    const lines = exported.split('\n').filter(Boolean);
    const copy = join(folder.path, 'copy.db');
    // One at a time for the first four events, as if interrupted; then everything in big batches.
    const partial = await cli(['import', '--file', copy, '--batch-size', '1'], {
      stdin: `${lines.slice(0, 4).join('\n')}\n`,
    });
    expect(partial.stdout).toContain('4 appended');
    const rest = await cli(['import', '--file', copy], { stdin: exported });
    expect(rest.stdout).toContain('Imported 7 events: 3 appended, 4 already stored.');
    const tail = ndjson((await cli(['export', '--file', copy, '--after', '5'])).stdout);
    expect(tail.map((event) => event.position)).toEqual([6, 7]);
  });

  it('names the line and the Hindsight code when an import cannot be applied', async () => {
    const exported = (await cli(['export', ...store()])).stdout;
    const lines = exported.split('\n').filter(Boolean);
    const conflicting = JSON.parse(lines[0] as string) as Record<string, unknown>;
    conflicting.eventId = crypto.randomUUID();
    const result = await cli(['import', ...store()], { stdin: `${JSON.stringify(conflicting)}\n` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot import line 1 (stream "Account-a-1", version 1)');
    expect(result.stderr).toMatch(/\[(CONCURRENCY_CONFLICT|EVENT_ID_CONFLICT)\]/);
    const broken = await cli(['import', ...store()], { stdin: `${lines[0]}\n{"streamId": 3}\n` });
    expect(broken.stderr).toContain('line 2: "streamId" must be a non-empty string');
    const badTime = { ...JSON.parse(lines[0] as string), timestamp: 'yesterday' };
    const timeless = await cli(['import', ...store()], { stdin: `${JSON.stringify(badTime)}\n` });
    expect(timeless.stderr).toContain('line 1: "timestamp" must be an ISO 8601 date-time');
    const notJson = await cli(['import', ...store(), '--json'], { stdin: 'nope\n' });
    expect(JSON.parse(notJson.stderr.split('\n').filter(Boolean).at(-1) as string)).toMatchObject({
      error: { message: expect.stringContaining('line 1 is not JSON') },
    });
    expect((await cli(['import', ...store()])).stderr).toContain('import reads NDJSON from standard input');
  });
});

describe('rebuild', () => {
  const balances = async (version: number) => {
    const storage = createSqliteStorage({ path: file });
    try {
      return storage.db.prepare(`SELECT account, balance FROM balances_v${version} ORDER BY account`).all();
    } finally {
      await storage.close();
    }
  };

  it('fills a new version beside the live one and switches, or replays one stream in place', async () => {
    const first = await cli(['rebuild', 'balances', ...store(), '--config', configModule, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      projection: 'balances',
      version: 2,
      previousVersion: 1,
      events: 3,
      resumed: false,
    });
    const expected = [
      { account: 'Account-a-1', balance: 15 },
      { account: 'Account-a-2', balance: 1 },
    ];
    expect(await balances(2)).toEqual(expected);
    const second = await cli(['rebuild', 'balances', ...store(), '--config', configModule]);
    expect(second.stdout).toContain('Projection balances: version 3 is live (was 2); 3 events applied.');
    expect(second.stderr).toMatch(/rebuilt 3 events in [\d.]+ s/);
    expect(await balances(3)).toEqual(expected);
    const one = await cli([
      'rebuild',
      'balances',
      '--stream',
      'Account-a-1',
      ...store(),
      '--config',
      configModule,
    ]);
    expect(one.stdout).toContain('stream Account-a-1 replayed into version 3; 2 events applied.');
    expect(await balances(3)).toEqual(expected);
  });

  it('names the projections the config has when asked for another', async () => {
    const unknown = await cli(['rebuild', 'nope', ...store(), '--config', configModule]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      '[UNKNOWN_PROJECTION] no projection named "nope" in the config (it has: balances)',
    );
  });
});

describe('errors and values', () => {
  const lastJsonLine = (text: string) =>
    JSON.parse(text.split('\n').filter(Boolean).at(-1) as string) as {
      error: { code: string; message: string };
    };

  it('prints a stable code with every error, in text and in --json', async () => {
    const missingFile = join(folder.path, 'nowhere.db');
    const cases: [string[], string][] = [
      [['evnts'], 'UNKNOWN_COMMAND'],
      [['events', '--folow', ...store()], 'UNKNOWN_OPTION'],
      [['stream', ...store()], 'MISSING_ARGUMENT'],
      [['info', '--url'], 'MISSING_ARGUMENT'],
      [['info', '--file', missingFile], 'STORE_NOT_FOUND'],
      [['info', '--url', 'postgres://postgres@127.0.0.1:1/none'], 'STORE_UNAVAILABLE'],
      [['stream', 'nope', ...store()], 'STREAM_NOT_FOUND'],
    ];
    for (const [argv, code] of cases) {
      const text = await cli(argv);
      expect(text.code, argv.join(' ')).toBe(1);
      expect(text.stderr, argv.join(' ')).toMatch(new RegExp(`error: \\[${code}\\] `));
      const json = await cli([...argv, '--json']);
      expect(lastJsonLine(json.stderr).error.code, argv.join(' ')).toBe(code);
    }
    const notJson = await cli(['import', ...store(), '--json'], { stdin: 'nope\n' });
    expect(lastJsonLine(notJson.stderr).error).toMatchObject({
      code: 'IMPORT_INVALID',
      message: expect.stringContaining('line 1 is not JSON'),
    });
  });

  it('prints a code before any command too: an unknown option, no command, a misplaced value', async () => {
    const cases: [string[], string, string][] = [
      [['--bogus'], 'UNKNOWN_OPTION', 'unknown option --bogus'],
      [[], 'MISSING_ARGUMENT', 'missing <command>'],
      [['--file', 'events.db'], 'MISSING_ARGUMENT', 'missing <command>'],
      [['--url'], 'MISSING_ARGUMENT', 'option --url needs a value'],
      [['help', '--bogus'], 'UNKNOWN_OPTION', 'unknown option --bogus'],
      [['help', 'nope'], 'UNKNOWN_COMMAND', 'unknown command "nope"'],
    ];
    for (const [argv, code, message] of cases) {
      const text = await cli(argv);
      expect(text.code, argv.join(' ')).toBe(1);
      expect(text.stderr, argv.join(' ')).toContain(`hindsight: error: [${code}] ${message}`);
      const json = await cli([...argv, '--json']);
      expect(json.code, argv.join(' ')).toBe(1);
      expect(json.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(lastJsonLine(json.stderr).error, argv.join(' ')).toMatchObject({ code });
    }
    // Bare, it still shows the commands first: that is what a person typing `hindsight` wants.
    expect((await cli([])).stderr).toMatch(/^Usage: hindsight <command>/);
    expect((await cli(['--file', 'events.db', '--help'])).code).toBe(0);
  });

  it('reads a negative value as a value, and refuses it', async () => {
    const result = await cli(['events', '--after', '-1', ...store()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[INVALID_ARGUMENT] --after must be a whole number ≥ 0, got "-1"');
    const stream = await cli(['stream', 'Account-a-1', '--from-version', '-2', ...store()]);
    expect(stream.stderr).toContain('--from-version must be a whole number ≥ 1, got "-2"');
  });

  it('refuses inverted ranges and says so when a range or a filter matches nothing', async () => {
    const inverted = await cli([
      'stream',
      'Account-a-1',
      '--from-version',
      '3',
      '--to-version',
      '2',
      ...store(),
    ]);
    expect(inverted.code).toBe(1);
    expect(inverted.stderr).toContain('--from-version 3 is after --to-version 2: the range is empty');
    const exported = await cli(['export', '--after', '5', '--up-to', '5', ...store()]);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toContain('--after 5 is not before --up-to 5: the range is empty');
    const beyond = await cli(['stream', 'Account-a-1', '--from-version', '7', '--json', ...store()]);
    expect(beyond.code).toBe(0);
    expect(beyond.stdout).toBe('');
    expect(beyond.stderr).toContain('No events in that range: the stream ends at version 4.');
    const none = await cli(['events', '--type', 'NoSuchType', ...store()]);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('No events.');
    expect((await cli(['events', ...store()])).stderr).not.toContain('No events.');
    const noStreams = await cli(['streams', '--type', 'Nope', '--json', ...store()]);
    expect(noStreams.stdout).toBe('');
    expect(noStreams.stderr).toContain('No streams.');
  });

  it('refuses to replay a stream that does not exist', async () => {
    const result = await cli([
      'rebuild',
      'balances',
      '--stream',
      'Account-zz',
      ...store(),
      '--config',
      configModule,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[STREAM_NOT_FOUND] no stream "Account-zz"');
  });

  it('checks the whole input of an import before it creates a store or appends anything', async () => {
    const lines = (await cli(['export', ...store()])).stdout.split('\n').filter(Boolean);
    const fresh = join(folder.path, 'fresh.db');
    const broken = await cli(['import', '--file', fresh], { stdin: `${lines[0]}\n\n${lines[1]}\nnope\n` });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('[IMPORT_INVALID] line 4 is not JSON');
    expect(existsSync(fresh)).toBe(false);
    const empty = await cli(['import', '--file', fresh], { stdin: '\n' });
    expect(empty.stderr).toContain('[IMPORT_INVALID] the input holds no events');
    expect(existsSync(fresh)).toBe(false);
    const other = join(folder.path, 'other.db');
    expect((await cli(['import', '--file', other], { stdin: `${lines.join('\n')}\n` })).code).toBe(0);
    const badTail = await cli(['import', '--file', other], {
      stdin: `${lines.join('\n')}\n{"streamId": 3}\n`,
    });
    expect(badTail.stderr).toContain(`line ${lines.length + 1}: "streamId" must be a non-empty string`);
    expect(badTail.stderr).not.toContain('Imported');
  });
});

describe('projections and prune', () => {
  const tables = async () => {
    const storage = createSqliteStorage({ path: file });
    try {
      return storage.db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'balances_v%' ORDER BY name",
        )
        .pluck()
        .all();
    } finally {
      await storage.close();
    }
  };

  it('list each version with its state, and prune a retired one; info shows it retired until then', async () => {
    expect((await cli(['rebuild', 'balances', ...store(), '--config', configModule])).code).toBe(0);
    expect((await cli(['rebuild', 'balances', ...store(), '--config', configModule])).code).toBe(0);
    const listed = await cli(['projections', ...store(), '--config', configModule]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n').map((line) => line.trim().split(/\s+/))).toEqual([
      ['PROJECTION', 'VERSION', 'STATE', 'POSITION', 'LAG'],
      ['balances', '2', 'retired', '7', '-'],
      ['balances', '3', 'live', '7', '0'],
      [''],
    ]);
    const json = JSON.parse(
      (await cli(['projections', ...store(), '--config', configModule, '--json'])).stdout,
    );
    expect(json).toEqual([
      {
        projection: 'balances',
        live: 3,
        versions: [
          { version: 2, state: 'retired', position: 7 },
          { version: 3, state: 'live', position: 7, lag: 0 },
        ],
      },
    ]);
    const info = JSON.parse((await cli(['info', ...store(), '--json'])).stdout);
    expect(info.consumers).toEqual(
      expect.arrayContaining([
        { consumerId: 'projection:balances@2', position: 7, lag: null, retired: true },
      ]),
    );
    expect((await cli(['info', ...store()])).stdout).toMatch(/projection:balances@2\s+7\s+retired/);

    expect(await tables()).toEqual(['balances_v2', 'balances_v3']);
    const pruned = await cli(['prune', 'balances', '--version', '2', ...store(), '--config', configModule]);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain('Projection balances: version 2 pruned (checkpoint and read model).');
    expect(await tables()).toEqual(['balances_v3']);
    const after = JSON.parse(
      (await cli(['projections', ...store(), '--config', configModule, '--json'])).stdout,
    );
    expect(after[0].versions).toEqual([{ version: 3, state: 'live', position: 7, lag: 0 }]);
  });

  it('refuse the live version, a bad version number and an unknown projection', async () => {
    expect((await cli(['rebuild', 'balances', ...store(), '--config', configModule])).code).toBe(0);
    const live = await cli(['prune', 'balances', '--version', '2', ...store(), '--config', configModule]);
    expect(live.code).toBe(1);
    expect(live.stderr).toContain('PROJECTION_VERSION_IN_USE');
    expect(live.stderr).toContain('version 2 of projection "balances" is the live version');
    expect(await tables()).toEqual(['balances_v2']);
    const none = await cli(['prune', 'balances', ...store(), '--config', configModule]);
    expect(none.stderr).toContain('[MISSING_ARGUMENT] missing --version <N>');
    const bad = await cli(['prune', 'balances', '--version', 'x', ...store(), '--config', configModule]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--version must be a version number');
    const unknown = await cli(['prune', 'nope', '--version', '1', ...store(), '--config', configModule]);
    expect(unknown.stderr).toContain('no projection named "nope" in the config (it has: balances)');
  });
});

describe('usage', () => {
  it('prints help for the CLI and for each command', async () => {
    const main = await cli(['--help']);
    expect(main.code).toBe(0);
    for (const name of [
      'migrate',
      'info',
      'streams',
      'stream',
      'events',
      'state',
      'export',
      'import',
      'rebuild',
      'projections',
      'prune',
    ]) {
      expect(main.stdout).toMatch(new RegExp(`^  ${name}\\s`, 'm'));
      const help = await cli([name, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: hindsight ${name}\\b`));
      expect(help.stdout).toContain('--json');
    }
    expect((await cli(['help', 'events'])).stdout).toContain('--follow');
    const bare = await cli([]);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain('Usage: hindsight <command>');
    expect((await cli(['--version'])).stdout.trim()).toBe(version);
    const packageJson = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(version).toBe(packageJson.version);
  });

  it('explains unknown commands, unknown options, bad values and missing arguments', async () => {
    const cases: [string[], string][] = [
      [['evnts'], 'unknown command "evnts"'],
      [['events', '--folow'], 'unknown option --folow'],
      [['events', '--after', 'ten'], '--after must be a whole number ≥ 0, got "ten"'],
      [['events', '--limit', '0'], '--limit must be a whole number ≥ 1'],
      [['stream'], 'missing <streamId>'],
      [['stream', 'a', 'b'], 'unexpected argument "b"'],
      [['stream', 'Account-a-1', '--until', 'yesterday'], '--until must be an ISO 8601 instant'],
      [['info', '--json', '--url'], 'option --url needs a value'],
    ];
    for (const [argv, message] of cases) {
      const result = await cli(
        [...argv, ...store()].filter(
          (arg, index, all) => !(arg === '--file' && all[index + 1] === undefined),
        ),
      );
      expect(result.code, argv.join(' ')).toBe(1);
      expect(result.stderr, argv.join(' ')).toContain(message);
    }
  });
});

describe('check', () => {
  it('reads every event through the config definitions: counts per type and version, exit 0 when all fit', async () => {
    const result = await cli(['check', ...store(), '--config', configModule]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Account\s+Deposited\s+1\s+3\s+0/);
    expect(result.stdout).toContain('7 events read: 6 fit, 0 failed, 1 unchecked');
    expect(result.stderr).toContain('checked 7 events (0 failed, 1 unchecked)');
  });

  it('reports each event that does not fit, with --json, and exits 1; against the store or an export file', async () => {
    const storage = createSqliteStorage({ path: file });
    // A deposit the current schema refuses (amount must be positive), as older code might have written it.
    await storage.append({
      streamId: 'Account-a-3',
      streamType: 'Account',
      expectedVersion: 'no_stream',
      events: [{ eventId: crypto.randomUUID(), type: 'Deposited', data: { amount: -3 }, metadata: {} }],
    });
    await storage.close();
    const text = await cli(['check', ...store(), '--config', configModule]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      'FAILED Account-a-3 version 1 (position 8) Deposited schema version 1: field "amount":',
    );
    expect(text.stderr).toContain('[CHECK_FAILED] 1 of 8 events do not fit their current definitions');

    const json = await cli(['check', ...store(), '--config', configModule, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      events: 8,
      failed: 1,
      unchecked: 1,
      failures: [{ streamId: 'Account-a-3', version: 1, position: 8, path: 'amount', problem: 'invalid' }],
    });
    expect(report.counts).toContainEqual({
      streamType: 'Account',
      type: 'Deposited',
      schemaVersion: 1,
      events: 4,
      failed: 1,
    });

    const exported = join(folder.path, 'events.ndjson');
    writeFileSync(exported, (await cli(['export', ...store()])).stdout);
    const fromFile = await cli(['check', '--input', exported, '--config', configModule, '--json']);
    expect(fromFile.code).toBe(1);
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ events: 8, failed: 1 });
    const fromStdin = await cli(['check', '--input', '-', '--config', configModule], {
      stdin: readFileSync(exported, 'utf8'),
    });
    expect(fromStdin.stdout).toContain('FAILED Account-a-3 version 1 (position 8)');
  });
});
