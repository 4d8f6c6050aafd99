import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEventStore,
  createInMemoryStorage,
  createProjectionRunner,
  createRepository,
} from '@hindsight/core';
import { afterAll, describe, expect, it } from 'vitest';
import { Account } from './bank.js';
import { exitOnSignals, leasesTour, openStorage, partitionsTour, tracedStore } from './deployment.js';
import { createBalancesView } from './projections.js';

describe('guide: storage and deployment', () => {
  const folder = mkdtempSync(join(tmpdir(), 'hindsight-guide-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('runs one projection runner per name across two connections to one file', async () => {
    const lines: string[] = [];
    await leasesTour(join(folder, 'leases.db'), (line) => lines.push(line));
    expect(lines).toEqual([
      'b holds the lease: false; it stands by for host-a:1201',
      'after a stopped, b holds the lease: true',
      'b projected the deposit: 1 event(s)',
    ]);
  });

  it('shares a partitioned projection between two processes, and hands a stopping one’s share over', async () => {
    const lines: string[] = [];
    await partitionsTour(join(folder, 'partitions.db'), (line) => lines.push(line));
    expect(lines).toEqual([
      'partition 0: host-a:1201 at 12, 0 behind',
      'partition 1: host-b:877 at 12, 0 behind',
      'partition 2: host-b:877 at 12, 0 behind',
      'partition 3: host-a:1201 at 12, 0 behind',
      'after b stopped: host-a:1201',
    ]);
  });

  it('traces a store without an SDK set up (no spans, no cost)', async () => {
    const store = tracedStore(createInMemoryStorage());
    await createRepository(store, Account).execute('ada', (account) => account.open({ owner: 'Ada' }));
    expect(await store.storage.headPosition()).toBe(1);
  });

  it('shuts down on SIGTERM: consumers stopped (leases released), store closed once, exit code 0', async () => {
    const { storage, close } = await openStorage({ kind: 'memory' });
    const store = createEventStore({ storage, events: [Account] });
    const runner = createProjectionRunner(store, createBalancesView().Balances);
    await runner.start();
    let closed = 0;
    const closing = {
      async close() {
        closed += 1;
        await close();
      },
    };
    let exit: (code: number | undefined) => void = () => {};
    const exited = new Promise<number | undefined>((resolve) => {
      exit = resolve;
    });
    const signals = new EventEmitter();
    exitOnSignals([runner], closing, exit, signals);
    signals.emit('SIGTERM', 'SIGTERM');
    signals.emit('SIGINT', 'SIGINT');
    expect(await exited).toBe(0);
    expect(closed).toBe(1);
    expect((await runner.status()).state).toBe('stopped');
  });
});
