import { join } from 'node:path';
import { createEventStore, createListenerRunner, createSubscription } from '@hindsight/core';
import { createSqliteStorage } from '@hindsight/sqlite';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Account } from './test-support/account.js';
import { cli, configModule, seed, temporaryFolder } from './test-support/cli-harness.js';
import { Mailer, mailbox } from './test-support/hindsight.config.js';

let folder: ReturnType<typeof temporaryFolder>;
let file: string;
const store = (): string[] => ['--file', file];
const fast = { retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 2 } };

beforeEach(async () => {
  folder = temporaryFolder();
  file = join(folder.path, 'events.db');
  const storage = createSqliteStorage({ path: file });
  await seed(storage);
  await storage.close();
});
afterEach(() => folder.remove());

/** Runs, in this process, what an application process would: one consumer failing on a deposit, a listener dead-lettering. */
async function runFailingApp(): Promise<void> {
  const storage = createSqliteStorage({ path: file });
  const app = createEventStore({ storage, events: [Account] });
  const audit = createSubscription(app, {
    name: 'audit',
    ...fast,
    lease: { owner: 'app-1' },
    handle: (event) => {
      if (event.type === 'Deposited') throw new Error('audit table missing');
    },
  });
  await audit.start();
  await expect(audit.waitUntilCaughtUp()).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
  await audit.stop();
  mailbox.down = true;
  const mailer = createListenerRunner(app, Mailer, fast);
  await mailer.start();
  await mailer.waitUntilCaughtUp();
  await mailer.stop();
  await storage.close();
}

describe('consumers', () => {
  it('shows each partition of a partitioned consumer with its owner, position and lag', async () => {
    const storage = createSqliteStorage({ path: file });
    const split = createSubscription(createEventStore({ storage, events: [Account] }), {
      name: 'split',
      partitions: 2,
      lease: { owner: 'app-3' },
      handle: () => undefined,
    });
    await split.start();
    await split.waitUntilCaughtUp();
    try {
      const json = await cli(['consumers', ...store(), '--json']);
      const reports = JSON.parse(json.stdout) as Record<string, unknown>[];
      const partitions = reports.filter((r) => r.name === 'split');
      expect(partitions).toEqual(
        [0, 1].map((index) =>
          expect.objectContaining({
            consumerId: `subscription:split#p${index}/2`,
            kind: 'subscription',
            partition: { index, count: 2 },
            state: 'running',
            position: 7,
            lag: 0,
            owner: 'app-3',
          }),
        ),
      );
      const text = await cli(['consumers', ...store()]);
      expect(text.stdout).toMatch(/subscription:split#p1\/2\s+running\s+7\s+0\s+app-3/);
    } finally {
      await split.stop();
      await storage.close();
    }
  });

  it("shows every consumer of the store with its state, lag, owner, last error and its event, and listeners' dead letters", async () => {
    await runFailingApp();
    // A consumer running in another process while the CLI looks.
    const storage = createSqliteStorage({ path: file });
    const running = createSubscription(createEventStore({ storage, events: [Account] }), {
      name: 'tail',
      lease: { owner: 'app-2' },
      handle: () => undefined,
    });
    await running.start();
    await running.waitUntilCaughtUp();
    try {
      const json = await cli(['consumers', ...store(), '--json']);
      expect(json.code).toBe(0);
      const reports = JSON.parse(json.stdout) as Record<string, unknown>[];
      expect(reports.map((r) => r.consumerId)).toEqual([
        'balances',
        'listener:mailer',
        'subscription:audit',
        'subscription:tail',
      ]);
      expect(reports[1]).toMatchObject({
        kind: 'listener',
        name: 'mailer',
        state: 'stopped',
        lag: 0,
        deadLetters: 2,
      });
      expect(reports[2]).toMatchObject({
        kind: 'subscription',
        name: 'audit',
        state: 'failed',
        position: 1,
        head: 7,
        lag: 6,
        owner: null,
        lastError: {
          message: 'audit table missing',
          event: { type: 'Deposited', streamId: 'Account-a-1', position: 2 },
          attempts: 2,
          owner: 'app-1',
        },
      });
      expect(reports[3]).toMatchObject({
        state: 'running',
        owner: 'app-2',
        position: 7,
        lag: 0,
        lastError: null,
      });

      const text = await cli(['consumers', ...store()]);
      expect(text.stdout).toMatch(/subscription:audit\s+failed\s+1\s+6\s+-\s+-/);
      expect(text.stdout).toMatch(/subscription:tail\s+running\s+7\s+0\s+app-2/);
      expect(text.stdout).toMatch(/listener:mailer\s+stopped\s+7\s+0\s+-\s+2/);
      expect(text.stdout).toMatch(
        /subscription:audit failed on Deposited event \S+ \(stream Account-a-1, position 2\) after 2 attempt\(s\) at \S+ \(owner app-1\): audit table missing/,
      );
    } finally {
      await running.stop();
      await storage.close();
    }
  });

  it('info names the failed consumers', async () => {
    expect((await cli(['info', ...store()])).stdout).not.toContain('failed');
    await runFailingApp();
    const info = await cli(['info', ...store()]);
    expect(info.stdout).toContain('failed     1: subscription:audit (see `hindsight consumers`)');
    const json = JSON.parse((await cli(['info', ...store(), '--json'])).stdout);
    expect(json.failures).toMatchObject([{ checkpointId: 'subscription:audit', event: { position: 2 } }]);
  });
});

describe('dead-letters', () => {
  it("lists a listener's dead letters and retries them through the config's listener", async () => {
    await runFailingApp();
    const listed = await cli(['dead-letters', 'mailer', ...store()]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/1\s+AccountOpened\s+Account-a-1\s+2\s+\S+\s+mail server down \(Ada\)/);
    expect(listed.stdout).toMatch(/5\s+AccountOpened\s+Account-a-2\s+2\s+\S+\s+mail server down \(Bob\)/);
    const letters = JSON.parse((await cli(['dead-letters', 'mailer', ...store(), '--json'])).stdout);
    expect(letters).toMatchObject([
      { listener: 'mailer', event: { position: 1 }, attempts: 2 },
      { listener: 'mailer', event: { position: 5 }, attempts: 2 },
    ]);
    const config = ['--config', configModule];

    // Still down: the letter stays, with one attempt more.
    const failed = await cli(['dead-letters', 'mailer', ...store(), ...config, '--retry', '--position', '5']);
    expect(failed.stdout).toContain(
      'Retried 1 dead letter(s) of listener "mailer": 0 succeeded, 1 failed again',
    );
    mailbox.down = false;
    mailbox.sent = [];
    const one = await cli([
      'dead-letters',
      'mailer',
      ...store(),
      ...config,
      '--retry',
      '--position',
      '5',
      '--json',
    ]);
    expect(JSON.parse(one.stdout)).toEqual({ listener: 'mailer', succeeded: 1, failed: 0 });
    expect(mailbox.sent).toEqual(['Bob']);
    const rest = await cli(['dead-letters', 'mailer', ...store(), ...config, '--retry']);
    expect(rest.stdout).toContain('1 succeeded, 0 failed again');
    expect(mailbox.sent).toEqual(['Bob', 'Ada']);
    expect((await cli(['dead-letters', 'mailer', ...store()])).stdout).toContain(
      'no dead letters for listener "mailer"',
    );
    const consumers = JSON.parse((await cli(['consumers', ...store(), '--json'])).stdout);
    expect(consumers).toContainEqual(
      expect.objectContaining({ consumerId: 'listener:mailer', deadLetters: 0 }),
    );
  });

  it('refuses a listener the config lacks and a position without a dead letter', async () => {
    await runFailingApp();
    const config = ['--config', configModule];
    const unknown = await cli(['dead-letters', 'nope', ...store(), ...config, '--retry']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      '[UNKNOWN_LISTENER] no listener named "nope" in the config (it has: mailer)',
    );
    const missing = await cli([
      'dead-letters',
      'mailer',
      ...store(),
      ...config,
      '--retry',
      '--position',
      '3',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('has no dead letter at position 3');
    expect((await cli(['dead-letters', 'mailer', ...store(), '--position', '3'])).stderr).toContain(
      '--position applies to --retry',
    );
  });
});

describe('consumers --restart', () => {
  it('restarts a failed consumer in another process (another handle on the SQLite file) at its event', async () => {
    const storage = createSqliteStorage({ path: file });
    const app = createEventStore({ storage, events: [Account] });
    let broken = true;
    const seen: number[] = [];
    const audit = createSubscription(app, {
      name: 'audit',
      ...fast,
      pollIntervalMs: 10,
      handle: (event) => {
        if (broken && event.type === 'Deposited') throw new Error('audit table missing');
        seen.push(event.position);
      },
    });
    try {
      await audit.start();
      await expect(audit.waitUntilCaughtUp()).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
      const refused = await cli(['consumers', ...store(), '--restart', 'subscription:tail']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('consumer "subscription:tail" has no recorded failure');

      broken = false;
      seen.length = 0;
      const asked = await cli(['consumers', ...store(), '--restart', 'subscription:audit']);
      expect(asked.code).toBe(0);
      expect(asked.stdout).toContain('Restart of subscription:audit requested');
      await vi.waitFor(async () => expect((await audit.status()).state).toBe('running'));
      await audit.waitUntilCaughtUp();
      expect(seen).toEqual([2, 3, 4, 5, 6, 7]);
      const [report] = JSON.parse((await cli(['consumers', ...store(), '--json'])).stdout).filter(
        (r: { consumerId: string }) => r.consumerId === 'subscription:audit',
      );
      expect(report).toMatchObject({ state: 'running', position: 7, lastError: null });
    } finally {
      await audit.stop();
      await storage.close();
    }
  });
});

describe('consumers --delete-checkpoint', () => {
  it("deletes a stopped consumer's checkpoint, so that it starts over; refuses a running one, a projection and a missing one", async () => {
    const storage = createSqliteStorage({ path: file });
    const app = createEventStore({ storage, events: [Account] });
    const seen: number[] = [];
    const tail = createSubscription(app, { name: 'tail', handle: (event) => void seen.push(event.position) });
    try {
      await tail.start();
      await tail.waitUntilCaughtUp();
      const running = await cli([
        'consumers',
        ...store(),
        '--delete-checkpoint',
        'subscription:tail',
        '--yes',
      ]);
      expect(running.code).toBe(1);
      expect(running.stderr).toContain('subscription:tail is running');
      await tail.stop();

      const unconfirmed = await cli(['consumers', ...store(), '--delete-checkpoint', 'subscription:tail']);
      expect(unconfirmed.code).toBe(1);
      expect(unconfirmed.stderr).toContain('add --yes');
      const missing = await cli([
        'consumers',
        ...store(),
        '--delete-checkpoint',
        'subscription:nope',
        '--yes',
      ]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('subscription:nope has no checkpoint');
      const projection = await cli([
        'consumers',
        ...store(),
        '--delete-checkpoint',
        'projection:balances@1',
        '--yes',
      ]);
      expect(projection.code).toBe(1);
      expect(projection.stderr).toContain('hindsight rebuild');

      const deleted = await cli([
        'consumers',
        ...store(),
        '--delete-checkpoint',
        'subscription:tail',
        '--yes',
      ]);
      expect(deleted.code).toBe(0);
      expect(deleted.stdout).toContain('Deleted the checkpoint of subscription:tail (it was at 7)');
      expect(await storage.loadCheckpoint('subscription:tail')).toBeUndefined();
      seen.length = 0;
      await tail.start();
      await tail.waitUntilCaughtUp();
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    } finally {
      await tail.stop();
      await storage.close();
    }
  });
});
